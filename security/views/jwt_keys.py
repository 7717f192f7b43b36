"""The messenger JWT keys page: list, rotate with a grace period, register a public key or
a JWKS URL, revoke."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from workspaces.access import can, workspace_for
from workspaces.auth import client_ip
from workspaces.refusals import Refused, show_on_form

from ..actions import jwks, jwt_keys
from ..display import migration_figures
from ..forms import JwksUrlForm, PublicKeyForm, RotateForm
from ..models import PlatformSettings


def _in_grace(keys, now):
    return [k for k in keys if k.state(now) == "grace"]


def _keys_page(
    request, workspace, rotate_form=None, status=200, public_key_form=None, jwks_form=None
):
    now = timezone.now()
    keys = jwt_keys.workspace_keys(workspace)
    if rotate_form is None:
        rotate_form = RotateForm(older_in_grace=_in_grace(keys, now))
    if public_key_form is None:
        public_key_form = PublicKeyForm()
    if jwks_form is None:
        jwks_form = JwksUrlForm()
    platforms = PlatformSettings.objects.filter(workspace=workspace).order_by("platform")
    return render(
        request,
        "security/jwt_keys.html",
        {
            "workspace": workspace,
            "keys": [jwt_keys.key_summary(k, now) for k in keys],
            "rotate_form": rotate_form,
            "public_key_form": public_key_form,
            "jwks_form": jwks_form,
            "can_rotate": can(workspace.role, "admin"),
            "can_reveal": can(workspace.role, "see_secrets"),
            "migration": migration_figures(platforms),
        },
        status=status,
    )


@login_required
def keys(request, app_id):
    workspace = workspace_for(request.user, app_id, need="view")
    return _keys_page(request, workspace)


def _register(request, app_id, form_class, form_name, register, success):
    """One registration form of the keys page: validate, ask the action, show its refusal
    beside the field, or redirect with ``success(registered)``."""
    workspace = workspace_for(request.user, app_id, need="admin")
    form = form_class(request.POST)
    if form.is_valid():
        try:
            registered = register(
                workspace, **form.cleaned_data, actor=request.user, ip=client_ip(request)
            )
        except Refused as refusal:
            show_on_form(form, refusal)
            status = refusal.status
        else:
            messages.success(request, success(registered))
            return redirect("security:jwt-keys", app_id=workspace.app_id)
    else:
        status = 400
    return _keys_page(request, workspace, **{form_name: form}, status=status)


@login_required
@require_POST
def register_public_key(request, app_id):
    return _register(
        request,
        app_id,
        PublicKeyForm,
        "public_key_form",
        jwt_keys.register_public_key,
        lambda key: (
            f"Public key {key.kid} ({key.algorithm}) is registered and verifies tokens now."
        ),
    )


@login_required
@require_POST
def register_jwks_url(request, app_id):
    return _register(
        request,
        app_id,
        JwksUrlForm,
        "jwks_form",
        jwks.register_jwks_url,
        lambda source: (
            f"JWKS URL {source.kid} is registered; its keys are being fetched and verify "
            "tokens as soon as they arrive. Reload to see them."
        ),
    )


@login_required
@require_POST
def rotate(request, app_id):
    workspace = workspace_for(request.user, app_id, need="admin")
    older = _in_grace(jwt_keys.workspace_keys(workspace), timezone.now())
    form = RotateForm(request.POST, older_in_grace=older)
    if not form.is_valid():
        return _keys_page(request, workspace, form, status=400)
    hours = form.cleaned_data["grace_hours"]
    try:
        key = jwt_keys.rotate_messenger_key(
            workspace,
            grace_hours=hours,
            older_key=form.cleaned_data.get("older_key"),
            actor=request.user,
            ip=client_ip(request),
        )
    except Refused as refusal:
        # Another key may have entered its grace meanwhile: ask with the fresh state.
        fresh = _in_grace(jwt_keys.workspace_keys(workspace), timezone.now())
        form = RotateForm(request.POST, older_in_grace=fresh)
        form.is_valid()
        show_on_form(form, refusal)
        return _keys_page(request, workspace, form, status=refusal.status)
    grace = (
        f"the previous key verifies for {hours} more hours" if hours else "the previous key stopped"
    )
    messages.success(request, f"New key {key.kid} is current; {grace}.")
    return redirect("security:jwt-keys", app_id=workspace.app_id)


@login_required
@require_http_methods(["GET", "POST"])
def revoke(request, app_id, kid):
    """GET asks for confirmation, POST revokes."""
    workspace = workspace_for(request.user, app_id, need="admin")
    key = next((k for k in jwt_keys.workspace_keys(workspace) if k.kid == kid), None)
    if key is None:
        messages.error(request, "This workspace has no key with that kid.")
        return redirect("security:jwt-keys", app_id=workspace.app_id)
    if request.method == "POST":
        try:
            jwt_keys.revoke_messenger_key(workspace, kid, actor=request.user, ip=client_ip(request))
        except Refused as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, f"Key {kid} is revoked: tokens signed with it are refused.")
        return redirect("security:jwt-keys", app_id=workspace.app_id)
    return render(
        request,
        "security/jwt_revoke.html",
        {"workspace": workspace, "key": jwt_keys.key_summary(key, timezone.now())},
    )
