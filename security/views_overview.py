"""The security overview: one card per platform, its flags, secret and readiness."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from workspaces.access import can, workspace_for
from workspaces.auth import client_ip

from . import actions, rotation_display
from .cards import platform_cards, platform_label
from .confirmations import confirmation_needed
from .forms import PlatformChangeForm
from .models import PlatformSettings
from .rotation import RotationConflict

ADMIN_ONLY = "Only workspace admins can change this."
SETTERS = {"enforced": actions.set_enforcement, "hmac_allowed": actions.set_hmac_allowed}


@login_required
@require_GET
def overview(request, app_id):
    workspace = workspace_for(request.user, app_id, need="view")
    return render(
        request,
        "security/overview.html",
        {
            "workspace": workspace,
            "cards": platform_cards(workspace),
            "is_admin": can(workspace.role, "admin"),
            "may_see_secrets": can(workspace.role, "see_secrets"),
            "admin_only": ADMIN_ONLY,
            "rotation_banners": rotation_display.banners(workspace, workspace.role),
        },
    )


@login_required
@require_POST
def change_platform(request, app_id, platform):
    """Switch one flag; changes that need a confirmation first render the confirmation."""
    workspace = workspace_for(request.user, app_id, need="admin")
    label = platform_label(platform)
    back = reverse("overview", kwargs={"app_id": workspace.app_id}) + f"#platform-{platform}"
    form = PlatformChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That change was not understood; nothing was changed.")
        return redirect(back)
    flag, value = form.cleaned_data["flag"], form.cleaned_data["value"]
    row = PlatformSettings.objects.get(workspace=workspace, platform=platform)
    needed = confirmation_needed(label, flag, getattr(row, flag), value, row.readiness)
    if needed and not form.cleaned_data["confirm"]:
        return render(
            request,
            "security/confirm_change.html",
            {
                "workspace": workspace,
                "platform": platform,
                "label": label,
                "flag": flag,
                "flag_label": dict(form.fields["flag"].choices)[flag],
                "value": value,
                "confirmation": needed,
                "back": back,
            },
        )
    try:
        _, changed = SETTERS[flag](
            workspace, platform, value, actor=request.user, ip=client_ip(request)
        )
    except RotationConflict as exc:
        messages.error(request, exc.message)
        return redirect(back)
    if changed:
        what = "Enforcement" if flag == "enforced" else "HMAC proofs"
        state = (
            ("on" if value else "off")
            if flag == "enforced"
            else ("allowed" if value else "refused")
        )
        messages.success(request, f"{what} for {label} is now {state}.")
    return redirect(back)
