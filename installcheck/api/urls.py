from django.urls import path

import security.converters  # noqa: F401  (registers the platform converter)
import workspaces.converters  # noqa: F401  (registers the app_id converter)

from . import trends, views

app_name = "installcheck-api"

W = "workspaces/<app_id:app_id>"

urlpatterns = [
    path(f"{W}/installations/", views.installation_list, name="installation-list"),
    path(f"{W}/installations/check", views.installation_check, name="installation-check"),
    path("jobs/<int:job_id>", views.job_detail, name="job-detail"),
    path(f"{W}/verification-log/", views.verification_log, name="verification-log"),
    path(f"{W}/trends/<platform:platform>", trends.platform_trends, name="trends"),
]
