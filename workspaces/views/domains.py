"""Trusted domains: the allow-list of web origins."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from ..access import Forbidden, can, workspace_for
from ..actions import add_trusted_domain, remove_trusted_domain
from ..auth import client_ip
from ..domains import unicode_host
from ..forms import TrustedDomainForm
from ..refusals import Refused, show_on_form

ADMIN_ONLY = "Only workspace admins can change trusted domains."
CONFIRMATION_REQUIRED = "confirmation_required"


def _shown(domain):
    """A domain in a message: its Unicode form, with the ASCII form beside when they differ."""
    readable = unicode_host(domain)
    return domain if readable == domain else f"{readable} ({domain})"


@login_required
@require_http_methods(["GET", "POST"])
def trusted_domains(request, app_id):
    workspace = workspace_for(request.user, app_id, need="view")
    is_admin = can(workspace.role, "admin")
    form = TrustedDomainForm()
    confirmation = None
    if request.method == "POST":
        if not is_admin:
            raise Forbidden(ADMIN_ONLY)
        form = TrustedDomainForm(request.POST)
        if form.is_valid():
            try:
                entry = add_trusted_domain(
                    workspace,
                    form.cleaned_data["domain"],
                    confirm=request.POST.get("confirm") == "on",
                    actor=request.user,
                    ip=client_ip(request),
                )
            except Refused as refusal:
                if refusal.code == CONFIRMATION_REQUIRED:
                    confirmation = refusal
                else:
                    show_on_form(form, refusal)
            else:
                messages.success(request, f"{_shown(entry.domain)} is now a trusted domain.")
                return redirect("workspaces:trusted-domains", app_id=workspace.app_id)
    if confirmation is not None:
        return render(
            request,
            "workspaces/confirm_first_domain.html",
            {
                "workspace": workspace,
                "domain": form.cleaned_data["domain"],
                "confirmation": confirmation,
            },
        )
    return render(
        request,
        "workspaces/trusted_domains.html",
        {
            "workspace": workspace,
            "domains": workspace.trusted_domains.select_related("created_by"),
            "form": form,
            "is_admin": is_admin,
            "admin_only": ADMIN_ONLY,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def remove_domain(request, app_id, pk):
    """GET asks for confirmation, POST removes."""
    workspace = workspace_for(request.user, app_id, need="admin")
    entry = get_object_or_404(workspace.trusted_domains, pk=pk)
    if request.method == "POST":
        remove_trusted_domain(entry, actor=request.user, ip=client_ip(request))
        messages.success(request, f"{_shown(entry.domain)} was removed from the trusted domains.")
        return redirect("workspaces:trusted-domains", app_id=workspace.app_id)
    return render(
        request,
        "workspaces/remove_domain.html",
        {
            "workspace": workspace,
            "entry": entry,
            "last_one": workspace.trusted_domains.count() == 1,
        },
    )
