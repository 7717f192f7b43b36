from django.urls import path

from . import jwt

urlpatterns = [
    path("workspaces/<str:app_id>/jwt-keys/", jwt.key_list, name="api-jwt-keys"),
    path("workspaces/<str:app_id>/jwt-keys/rotate", jwt.key_rotate, name="api-jwt-rotate"),
    path(
        "workspaces/<str:app_id>/jwt-keys/<str:kid>/revoke",
        jwt.key_revoke,
        name="api-jwt-revoke",
    ),
    path(
        "workspaces/<str:app_id>/jwt-keys/<str:kid>/reveal",
        jwt.key_reveal,
        name="api-jwt-reveal",
    ),
    path("workspaces/<str:app_id>/jwt-debug", jwt.jwt_debug, name="api-jwt-debug"),
]
