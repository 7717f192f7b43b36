from django.urls import path

from . import domains, views

urlpatterns = [
    path("workspaces/", views.workspace_list, name="api-workspace-list"),
    path(
        "workspaces/<slug:app_id>/trusted-domains/",
        domains.trusted_domain_list,
        name="api-trusted-domain-list",
    ),
    path(
        "workspaces/<slug:app_id>/trusted-domains/<int:pk>/",
        domains.trusted_domain_detail,
        name="api-trusted-domain-detail",
    ),
    path("workspaces/<slug:app_id>/audit/", domains.audit_list, name="api-audit-list"),
]
