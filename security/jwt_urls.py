from django.urls import path

from . import jwt_views

urlpatterns = [
    path("w/<str:app_id>/jwt/", jwt_views.jwt_keys, name="jwt-keys"),
    path("w/<str:app_id>/jwt/rotate", jwt_views.jwt_rotate, name="jwt-rotate"),
    path("w/<str:app_id>/jwt/debugger/", jwt_views.jwt_debugger, name="jwt-debugger"),
    path("w/<str:app_id>/jwt/<str:kid>/revoke", jwt_views.jwt_revoke, name="jwt-revoke"),
    path("w/<str:app_id>/jwt/<str:kid>/reveal", jwt_views.jwt_reveal, name="jwt-reveal"),
]
