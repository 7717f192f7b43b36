from django.urls import path

import workspaces.converters  # noqa: F401  (registers the app_id converter)

from .. import converters  # noqa: F401  (registers the platform converter)
from . import jwt_keys, platforms, rotations, support, tools, two_factor

app_name = "security-api"

W = "workspaces/<app_id:app_id>"

urlpatterns = [
    path(f"{W}/platforms/", platforms.platform_list, name="platform-list"),
    path(f"{W}/platforms/<platform:platform>/", platforms.platform_update, name="platform-update"),
    path(
        f"{W}/platforms/<platform:platform>/secret/reveal",
        platforms.secret_reveal,
        name="secret-reveal",
    ),
    path(f"{W}/two-factor/", two_factor.two_factor_policy, name="two-factor-policy"),
    path(f"{W}/hash-check", tools.hash_check, name="hash-check"),
    path(f"{W}/jwt-debug", tools.jwt_debug, name="jwt-debug"),
    path(f"{W}/jwt-keys/", jwt_keys.key_list, name="jwt-keys"),
    path(f"{W}/jwt-keys/rotate", jwt_keys.key_rotate, name="jwt-rotate"),
    path(f"{W}/jwt-keys/<str:kid>/revoke", jwt_keys.key_revoke, name="jwt-revoke"),
    path(f"{W}/jwt-keys/<str:kid>/reveal", jwt_keys.key_reveal, name="jwt-reveal"),
    path(f"{W}/rotations/", rotations.workspace_rotations, name="workspace-rotations"),
    path(
        f"{W}/rotations/<int:pk>/accept",
        rotations.accept_overlap,
        name="workspace-rotation-accept",
    ),
    path(
        f"{W}/rotations/<int:pk>/finish",
        rotations.finish_overlap,
        name="workspace-rotation-finish",
    ),
    path("support/rotations/", support.rotations, name="support-rotations"),
    path("support/rotations/<int:pk>/rotate", support.rotate, name="support-rotate"),
    path("support/rotations/<int:pk>/cancel", support.cancel, name="support-cancel"),
    path("support/workspaces/", support.workspaces, name="support-workspaces"),
]
