from django.urls import path

from . import checker_views

urlpatterns = [
    path("w/<str:app_id>/hash-checker/", checker_views.hash_checker, name="hash-checker"),
    path("w/<str:app_id>/snippets/", checker_views.snippet_list, name="snippets"),
]
