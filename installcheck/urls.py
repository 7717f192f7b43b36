from django.urls import path

import security.converters  # noqa: F401  (registers the platform converter)
import workspaces.converters  # noqa: F401  (registers the app_id converter)

from . import install, trend_views, views

app_name = "installcheck"

urlpatterns = [
    path("w/<app_id:app_id>/install/", install.install, name="install"),
    path("w/<app_id:app_id>/installation/", views.installations, name="installations"),
    path("w/<app_id:app_id>/installation/table/", views.domain_rows, name="table"),
    path("w/<app_id:app_id>/installation/log/", views.log_rows, name="log"),
    path("w/<app_id:app_id>/installation/check/", views.check, name="check"),
    path(
        "w/<app_id:app_id>/trends/<platform:platform>/",
        trend_views.platform_trends,
        name="trends",
    ),
]
