from django.urls import path

from . import views

urlpatterns = [
    path(
        "workspaces/<str:app_id>/installations/",
        views.installation_list,
        name="api-installation-list",
    ),
    path(
        "workspaces/<str:app_id>/installations/check",
        views.installation_check,
        name="api-installation-check",
    ),
    path("jobs/<int:job_id>", views.job_detail, name="api-job-detail"),
    path("jobs/<int:job_id>/", views.job_detail, name="api-job-detail-slash"),
    path(
        "workspaces/<str:app_id>/verification-log/",
        views.verification_log,
        name="api-verification-log",
    ),
]
