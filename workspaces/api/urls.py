from django.urls import path

from .. import converters  # noqa: F401  (registers the app_id converter)
from . import domains, members, views

app_name = "workspaces-api"

W = "workspaces/<app_id:app_id>"

urlpatterns = [
    path("workspaces/", views.workspace_list, name="workspace-list"),
    path(f"{W}/trusted-domains/", domains.trusted_domain_list, name="trusted-domain-list"),
    path(
        f"{W}/trusted-domains/<int:pk>/",
        domains.trusted_domain_detail,
        name="trusted-domain-detail",
    ),
    path(f"{W}/audit/", domains.audit_list, name="audit-list"),
    path(f"{W}/members/", members.member_list, name="member-list"),
    path(f"{W}/members/<str:username>/", members.member_detail, name="member-detail"),
    path(f"{W}/invitations/", members.invitation_list, name="invitation-list"),
    path(f"{W}/invitations/<int:pk>/", members.invitation_detail, name="invitation-detail"),
    path(
        f"{W}/invitations/<int:pk>/resend/",
        members.invitation_resend,
        name="invitation-resend",
    ),
]
