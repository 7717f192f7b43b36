from django.urls import path

import workspaces.converters  # noqa: F401  (registers the app_id converter)

from . import converters  # noqa: F401  (registers the platform converter)
from .views import jwt_keys, overview, reveal, support, tools, two_factor

app_name = "security"

urlpatterns = [
    path("profile/two-factor/", two_factor.two_factor, name="two-factor"),
    path("profile/two-factor/totp", two_factor.totp_setup, name="two-factor-totp"),
    path(
        "profile/two-factor/passkey-options",
        two_factor.passkey_options,
        name="two-factor-passkey-options",
    ),
    path("profile/two-factor/passkey", two_factor.passkey_add, name="two-factor-passkey"),
    path(
        "profile/two-factor/recovery-codes",
        two_factor.recovery_codes,
        name="two-factor-recovery-codes",
    ),
    path(
        "profile/two-factor/confirm-options",
        two_factor.confirm_options,
        name="two-factor-confirm-options",
    ),
    path(
        "profile/two-factor/<str:kind>/<int:pk>/remove",
        two_factor.remove,
        name="two-factor-remove",
    ),
    path("w/<app_id:app_id>/two-factor/", two_factor.policy, name="two-factor-policy"),
    path("w/<app_id:app_id>/security/", overview.overview, name="overview"),
    path(
        "w/<app_id:app_id>/security/<platform:platform>/change",
        overview.change,
        name="platform-change",
    ),
    path(
        "w/<app_id:app_id>/security/<platform:platform>/version-policy",
        overview.version_policy,
        name="version-policy",
    ),
    path(
        "w/<app_id:app_id>/security/<platform:platform>/reveal",
        reveal.secret,
        name="secret-reveal",
    ),
    path("w/<app_id:app_id>/hash-checker/", tools.hash_checker, name="hash-checker"),
    path("w/<app_id:app_id>/snippets/", tools.snippet_list, name="snippets"),
    path("w/<app_id:app_id>/jwt/", jwt_keys.keys, name="jwt-keys"),
    path("w/<app_id:app_id>/jwt/rotate", jwt_keys.rotate, name="jwt-rotate"),
    path(
        "w/<app_id:app_id>/jwt/public-keys",
        jwt_keys.register_public_key,
        name="jwt-register",
    ),
    path(
        "w/<app_id:app_id>/jwt/jwks-urls",
        jwt_keys.register_jwks_url,
        name="jwt-register-jwks",
    ),
    path("w/<app_id:app_id>/jwt/debugger/", tools.jwt_debugger, name="jwt-debugger"),
    path("w/<app_id:app_id>/jwt/<str:kid>/revoke", jwt_keys.revoke, name="jwt-revoke"),
    path("w/<app_id:app_id>/jwt/<str:kid>/reveal", reveal.key, name="jwt-reveal"),
    path(
        "w/<app_id:app_id>/rotations/<int:pk>/accept",
        support.accept_overlap,
        name="rotation-accept",
    ),
    path(
        "w/<app_id:app_id>/rotations/<int:pk>/finish",
        support.finish_overlap,
        name="rotation-finish",
    ),
    path("support/", support.home, name="support-home"),
    path("support/w/<app_id:app_id>/", support.workspace, name="support-workspace"),
    path("support/rotations/<int:pk>/", support.rotation, name="support-rotation"),
    path("support/rotations/<int:pk>/rotate", support.rotate, name="support-rotate"),
    path("support/rotations/<int:pk>/cancel", support.cancel, name="support-cancel"),
]
