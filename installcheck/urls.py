from django.urls import path

from . import views

urlpatterns = [
    path("w/<str:app_id>/installation/", views.installations, name="installations"),
    path("w/<str:app_id>/installation/table/", views.domain_rows, name="installation-table"),
    path("w/<str:app_id>/installation/log/", views.log_rows, name="verification-log"),
    path("w/<str:app_id>/installation/check/", views.check, name="installation-check"),
    path(
        "w/<str:app_id>/installation/readiness/<str:platform>/",
        views.readiness_partial,
        name="readiness-partial",
    ),
]
