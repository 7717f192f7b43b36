"""Console pages of messenger JWT keys and the token debugger: validate, act, render."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from workspaces.access import can, workspace_for
from workspaces.auth import client_ip

from . import jwt_actions, ratelimit, reauth
from .jwt_actions import DEBUG_RATE_LIMIT, DEBUG_RATE_WINDOW, MAX_TOKEN_LENGTH, KeyActionError
from .models import PlatformSettings


class RotateForm(forms.Form):
    grace_hours = forms.IntegerField(
        label="Grace period (hours)",
        min_value=0,
        max_value=jwt_actions.MAX_GRACE_HOURS,
        initial=jwt_actions.DEFAULT_GRACE_HOURS,
        help_text="How long the current key keeps verifying after rotation: 0 to 168 hours. "
        "0 stops it at once.",
    )
    older_key = forms.ChoiceField(
        label="Older key still in its grace period",
        required=False,
        choices=[
            ("", "Choose what happens to it"),
            (jwt_actions.END_NOW, "End its grace now (tokens signed with it stop at once)"),
            (jwt_actions.KEEP, "Keep its current deadline"),
        ],
    )

    def __init__(self, *args, older_in_grace=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.older_in_grace = older_in_grace
        if not older_in_grace:
            del self.fields["older_key"]

    def clean_older_key(self):
        value = self.cleaned_data.get("older_key")
        if self.older_in_grace and not value:
            kids = ", ".join(k.kid for k in self.older_in_grace)
            raise forms.ValidationError(
                f"Key {kids} is still in its grace period: choose whether to end it now or "
                "keep its deadline."
            )
        return value or None


class PasswordForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Messenger JWT",
        max_length=MAX_TOKEN_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false", "autocomplete": "off"}),
        help_text="Paste a user_jwt. It is checked here and not stored.",
    )


def _ip(request):
    return client_ip(request)


def _in_grace(keys, now):
    return [k for k in keys if k.state(now) == "grace"]


def _keys_page(request, workspace, rotate_form=None, status=200):
    now = timezone.now()
    keys = jwt_actions.workspace_keys(workspace)
    if rotate_form is None:
        rotate_form = RotateForm(older_in_grace=_in_grace(keys, now))
    platforms = PlatformSettings.objects.filter(workspace=workspace).order_by("platform")
    return render(
        request,
        "security/jwt_keys.html",
        {
            "workspace": workspace,
            "keys": [jwt_actions.key_summary(k, now) for k in keys],
            "rotate_form": rotate_form,
            "can_rotate": can(workspace.role, "admin"),
            "can_reveal": can(workspace.role, "see_secrets"),
            "migration": jwt_actions.migration_figures(platforms),
        },
        status=status,
    )


@login_required
def jwt_keys(request, app_id):
    workspace = workspace_for(request.user, app_id, need="view")
    return _keys_page(request, workspace)


@login_required
@require_POST
def jwt_rotate(request, app_id):
    workspace = workspace_for(request.user, app_id, need="admin")
    older = _in_grace(jwt_actions.workspace_keys(workspace), timezone.now())
    form = RotateForm(request.POST, older_in_grace=older)
    if not form.is_valid():
        return _keys_page(request, workspace, form, status=400)
    try:
        key = jwt_actions.rotate_messenger_key(
            workspace,
            grace_hours=form.cleaned_data["grace_hours"],
            older_key=form.cleaned_data.get("older_key"),
            actor=request.user,
            ip=_ip(request),
        )
    except KeyActionError as exc:
        # Someone else rotated meanwhile: show the question with the fresh state.
        form = RotateForm(
            request.POST,
            older_in_grace=_in_grace(jwt_actions.workspace_keys(workspace), timezone.now()),
        )
        form.is_valid()
        form.add_error(None, exc.message)
        return _keys_page(request, workspace, form, status=409)
    hours = form.cleaned_data["grace_hours"]
    grace = (
        f"the previous key verifies for {hours} more hours" if hours else "the previous key stopped"
    )
    messages.success(request, f"New key {key.kid} is current; {grace}.")
    return redirect("jwt-keys", app_id=workspace.app_id)


@login_required
@require_http_methods(["GET", "POST"])
def jwt_revoke(request, app_id, kid):
    workspace = workspace_for(request.user, app_id, need="admin")
    key = next((k for k in jwt_actions.workspace_keys(workspace) if k.kid == kid), None)
    if key is None:
        messages.error(request, "This workspace has no key with that kid.")
        return redirect("jwt-keys", app_id=workspace.app_id)
    if request.method == "POST":
        try:
            jwt_actions.revoke_messenger_key(workspace, kid, actor=request.user, ip=_ip(request))
        except KeyActionError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Key {kid} is revoked: tokens signed with it are refused.")
        return redirect("jwt-keys", app_id=workspace.app_id)
    return render(
        request,
        "security/jwt_revoke.html",
        {"workspace": workspace, "key": jwt_actions.key_summary(key, timezone.now())},
    )


@login_required
@require_http_methods(["GET", "POST"])
def jwt_reveal(request, app_id, kid):
    workspace = workspace_for(request.user, app_id, need="see_secrets")
    confirmed = reauth.recently_confirmed(request)
    form = PasswordForm(request.POST or None)
    revealed = None
    retry_after = 0
    if request.method == "POST":
        if not confirmed and form.is_valid():
            retry_after = reauth.attempt_wait(request.user)
            if retry_after:
                form.add_error(
                    "password", f"Too many attempts. Try again in {retry_after} seconds."
                )
            elif reauth.check_password(request, form.cleaned_data["password"]):
                confirmed = True
            else:
                form.add_error("password", "The password is not correct.")
        if confirmed:
            try:
                revealed = jwt_actions.reveal_messenger_key(
                    workspace, kid, actor=request.user, ip=_ip(request)
                )
            except KeyActionError as exc:
                messages.error(request, exc.message)
                return redirect("jwt-keys", app_id=workspace.app_id)
    response = render(
        request,
        "security/jwt_reveal.html",
        {
            "workspace": workspace,
            "kid": kid,
            "form": form,
            "confirmed": confirmed,
            "revealed": revealed,
        },
        status=429 if retry_after else 400 if form.errors else 200,
    )
    response["Cache-Control"] = "no-store"
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def _time_rows(result):
    """(claim, date or raw value, relative text or error) for the claims the token has."""
    times = (result or {}).get("times") or {}
    rows = []
    for claim in ("exp", "nbf", "iat"):
        entry = times.get(claim)
        if entry:
            rows.append(
                (claim, entry.get("iso", entry["value"]), entry.get("text", entry.get("error")))
            )
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def jwt_debugger(request, app_id):
    workspace = workspace_for(request.user, app_id, need="check")
    form = TokenForm(request.POST or None)
    result, status = None, 200
    if request.method == "POST" and form.is_valid():
        retry_after = ratelimit.hit(
            "jwt-debug", request.user.pk, DEBUG_RATE_LIMIT, DEBUG_RATE_WINDOW
        )
        if retry_after:
            form.add_error("token", f"Too many tokens debugged; try again in {retry_after} s.")
            status = 429
        else:
            result = jwt_actions.debug_token(
                workspace, form.cleaned_data["token"], actor=request.user, ip=_ip(request)
            ).as_dict()
    elif form.errors:
        status = 400
    response = render(
        request,
        "security/jwt_debugger.html",
        {"workspace": workspace, "form": form, "result": result, "time_rows": _time_rows(result)},
        status=status,
    )
    response["Cache-Control"] = "no-store"
    if status == 429:
        response["Retry-After"] = str(retry_after)
    return response
