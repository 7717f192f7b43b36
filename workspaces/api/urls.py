from django.urls import path

from .. import converters  # noqa: F401  (registers the app_id converter)
from . import domains, views

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
]
