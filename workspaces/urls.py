from django.contrib.auth import views as auth_views
from django.urls import path

from . import converters  # noqa: F401  (registers the app_id converter)
from .views import account, audit, domains, invitations, members, password

app_name = "workspaces"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", account.profile, name="profile"),
    path("profile/password", password.password_change, name="password-change"),
    path("password-reset/", password.PasswordResetView.as_view(), name="password-reset"),
    path(
        "password-reset/sent/", password.PasswordResetDoneView.as_view(), name="password-reset-done"
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        password.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "password-reset/done/",
        password.PasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
    path("w/<app_id:app_id>/trusted-domains/", domains.trusted_domains, name="trusted-domains"),
    path(
        "w/<app_id:app_id>/trusted-domains/<int:pk>/remove",
        domains.remove_domain,
        name="trusted-domain-remove",
    ),
    path("w/<app_id:app_id>/audit/", audit.audit_log, name="audit-log"),
    path("w/<app_id:app_id>/members/", members.members, name="members"),
    path(
        "w/<app_id:app_id>/members/<str:username>/role",
        members.member_role,
        name="member-role",
    ),
    path(
        "w/<app_id:app_id>/members/<str:username>/remove",
        members.member_remove,
        name="member-remove",
    ),
    path(
        "w/<app_id:app_id>/invitations/<int:pk>/resend",
        members.invitation_resend,
        name="invitation-resend",
    ),
    path(
        "w/<app_id:app_id>/invitations/<int:pk>/revoke",
        members.invitation_revoke,
        name="invitation-revoke",
    ),
    path("invitations/<int:pk>/<str:token>/", invitations.invitation, name="invitation"),
    path("", account.home, name="home"),
]
