from django.urls import path

from . import platforms

urlpatterns = [
    path(
        "workspaces/<slug:app_id>/platforms/",
        platforms.platform_list,
        name="api-platform-list",
    ),
    path(
        "workspaces/<slug:app_id>/platforms/<slug:platform>/",
        platforms.platform_update,
        name="api-platform-update",
    ),
    path(
        "workspaces/<slug:app_id>/platforms/<slug:platform>/secret/reveal",
        platforms.secret_reveal,
        name="api-secret-reveal",
    ),
]
