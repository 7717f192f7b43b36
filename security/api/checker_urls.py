from django.urls import path

from . import checker

urlpatterns = [
    path(
        "workspaces/<str:app_id>/hash-check",
        checker.hash_check,
        name="api-hash-check",
    ),
]
