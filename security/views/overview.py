"""The security overview: one card per platform, its flags, version policy, secret and
readiness; and the change of a flag or of the policy, with the confirmation the action
asks for."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from workspaces.access import can, workspace_for
from workspaces.auth import client_ip
from workspaces.refusals import Refused

from ..actions.platforms import CONFIRMATION_REQUIRED, change_platform
from ..display import banners, platform_cards
from ..forms import FLAG_CHOICES, PlatformChangeForm, VersionPolicyForm
from ..vocabulary import platform_label

ADMIN_ONLY = "Only workspace admins can change this."


@login_required
@require_GET
def overview(request, app_id):
    workspace = workspace_for(request.user, app_id, need="view")
    return render(
        request,
        "security/overview.html",
        {
            "workspace": workspace,
            "cards": [
                {**card, "policy_form": _policy_form(card["settings"])}
                for card in platform_cards(workspace)
            ],
            "is_admin": can(workspace.role, "admin"),
            "may_see_secrets": can(workspace.role, "see_secrets"),
            "admin_only": ADMIN_ONLY,
            "rotation_banners": banners(workspace, workspace.role),
        },
    )


def _policy_form(row):
    return VersionPolicyForm(
        initial={"enforce_from_version": row.enforce_from_version, "sunset_at": row.sunset_at}
    )


def _done_message(flag, value, label):
    if flag == "enforced":
        return f"Enforcement for {label} is now {'on' if value else 'off'}."
    return f"HMAC proofs for {label} are now {'allowed' if value else 'refused'}."


def _apply(request, workspace, platform, changes, *, confirm, confirm_page, context, done):
    """Ask change_platform; render its confirmation, its refusal, or ``done(changed)``."""
    back = _back(workspace, platform)
    try:
        _, changed = change_platform(
            workspace, platform, changes, confirm=confirm, actor=request.user, ip=client_ip(request)
        )
    except Refused as refusal:
        if refusal.code != CONFIRMATION_REQUIRED:
            messages.error(request, refusal.message)
            return redirect(back)
        return render(
            request,
            confirm_page,
            {
                "workspace": workspace,
                "platform": platform,
                "label": platform_label(platform),
                "confirmation": {"message": refusal.message, **refusal.extra},
                "back": back,
                **context,
            },
        )
    if changed:
        messages.success(request, done)
    return redirect(back)


def _back(workspace, platform):
    return reverse("security:overview", args=[workspace.app_id]) + f"#platform-{platform}"


@login_required
@require_POST
def change(request, app_id, platform):
    """Switch one flag; a change the action wants confirmed renders the confirmation."""
    workspace = workspace_for(request.user, app_id, need="admin")
    form = PlatformChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That change was not understood; nothing was changed.")
        return redirect(_back(workspace, platform))
    flag, value = form.cleaned_data["flag"], form.cleaned_data["value"]
    return _apply(
        request,
        workspace,
        platform,
        {flag: value},
        confirm=form.cleaned_data["confirm"],
        confirm_page="security/confirm_change.html",
        context={"flag": flag, "flag_label": dict(FLAG_CHOICES)[flag], "value": value},
        done=_done_message(flag, value, platform_label(platform)),
    )


@login_required
@require_POST
def version_policy(request, app_id, platform):
    """Set or clear the platform's app-version policy, confirmed like a flag."""
    workspace = workspace_for(request.user, app_id, need="admin")
    form = VersionPolicyForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_back(workspace, platform))
    label = platform_label(platform)
    minimum = form.changes()["enforce_from_version"]
    return _apply(
        request,
        workspace,
        platform,
        form.changes(),
        confirm=form.cleaned_data["confirm"],
        confirm_page="security/confirm_version_policy.html",
        context={"form": form},
        done=f"{label} now enforces from app version {minimum} on."
        if minimum
        else f"{label} now enforces every app version.",
    )
