"""The profile's two-factor pages (authenticator app, passkeys, recovery codes, removal)
and the workspace's "require two-factor for members" setting. Thin: the actions in
``security.actions.two_factor`` decide and audit."""

from base64 import b32encode

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp_webauthn.models import WebAuthnCredential

from workspaces import passkeys
from workspaces.access import workspace_for
from workspaces.auth import client_ip
from workspaces.refusals import Refused, show_on_form
from workspaces.two_factor import factors_of, has_passkey, has_second_factor

from .. import reauth
from ..actions import two_factor as actions
from ..authenticator import AuthenticatorApp
from ..forms import ReauthForm, SecondFactorReauthForm

NEW_CODES_KEY = "verity.new_recovery_codes"
PENDING_TOTP_KEY = "verity.pending_totp"


class TotpCodeForm(forms.Form):
    code = forms.CharField(
        label="The 6-digit code your app shows",
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PasskeyForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=actions.MAX_PASSKEY_NAME,
        required=False,
        help_text="To tell your keys apart, e.g. “Laptop” or “YubiKey”.",
        widget=forms.TextInput(attrs={"placeholder": "Laptop", "autocomplete": "off"}),
    )
    passkey = forms.CharField(required=False, max_length=16_384, widget=forms.HiddenInput)


class PolicyForm(forms.Form):
    require_two_factor = forms.BooleanField(
        label="Require two-factor for members",
        required=False,
        help_text="Members without an authenticator app or a passkey are sent to set one up "
        "before they can open this workspace or its test twin; the API answers them 403 "
        "two_factor_required.",
    )


@never_cache
@login_required
def two_factor(request):
    """What the user has set up, and the ways to add, regenerate and remove."""
    user = request.user
    context = {
        "factors": factors_of(user),
        "enrolled": has_second_factor(user),
        "totp": AuthenticatorApp.objects.filter(user=user, confirmed=True).first(),
        "passkeys": WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("pk"),
        "passkey_form": PasskeyForm(),
        "new_codes": request.session.pop(NEW_CODES_KEY, None),
        "required_by": request.GET.get("required", ""),
    }
    return render(request, "security/two_factor.html", context)


def _after_first_factor(request, had_factor):
    """The first factor comes with recovery codes, shown once on the next page."""
    if not had_factor:
        request.session[NEW_CODES_KEY] = actions.regenerate_recovery_codes(
            request.user, ip=client_ip(request)
        )
    return redirect("security:two-factor")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def totp_setup(request):
    """The authenticator app: a QR code (and the secret as text), then its first code."""
    user = request.user
    try:
        device = actions.pending_totp(user, request.session.get(PENDING_TOTP_KEY))
    except Refused as refusal:
        messages.error(request, refusal.message)
        return redirect("security:two-factor")
    request.session[PENDING_TOTP_KEY] = device.pk
    form = TotpCodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound and form.is_valid():
        had_factor = has_second_factor(user)
        try:
            actions.confirm_totp(user, device.pk, form.cleaned_data["code"], ip=client_ip(request))
        except Refused as refusal:
            show_on_form(form, refusal)
            status = refusal.status
        else:
            request.session.pop(PENDING_TOTP_KEY, None)
            messages.success(request, "Your authenticator app is set up.")
            return _after_first_factor(request, had_factor)
    elif form.is_bound:
        status = 400
    secret = b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "qr": segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }
    response = render(request, "security/totp_setup.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
@require_POST
def passkey_options(request):
    """WebAuthn creation options for the logged-in user (JSON)."""
    return JsonResponse(passkeys.begin_registration(request, request.user))


@never_cache
@login_required
@require_POST
def passkey_add(request):
    form = PasskeyForm(request.POST)
    had_factor = has_second_factor(request.user)
    if form.is_valid() and form.cleaned_data["passkey"]:
        data = reauth.json_object(form.cleaned_data["passkey"])
        try:
            device = actions.add_passkey(
                request, request.user, data, form.cleaned_data["name"], ip=client_ip(request)
            )
        except Refused as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, f"Passkey “{device.name}” added.")
            return _after_first_factor(request, had_factor)
    else:
        messages.error(request, "Use the button to create the passkey with your browser.")
    return redirect("security:two-factor")


@never_cache
@login_required
@require_POST
def recovery_codes(request):
    try:
        request.session[NEW_CODES_KEY] = actions.regenerate_recovery_codes(
            request.user, ip=client_ip(request)
        )
    except Refused as refusal:
        messages.error(request, refusal.message)
    return redirect("security:two-factor")


@never_cache
@login_required
@require_POST
def confirm_options(request):
    """WebAuthn request options to confirm a step (a reveal, a removal) with a passkey."""
    if not has_passkey(request.user):
        return JsonResponse(
            {"error": "no_passkey", "message": "You have no passkey; use a code."}, status=400
        )
    return JsonResponse(passkeys.begin_assertion(request, request.user, "confirm"))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def remove(request, kind, pk):
    """Remove a factor, after confirming it is you (a code or passkey once enrolled)."""
    user = request.user
    try:
        device = actions.factor_of(user, kind, pk)
    except Refused as refusal:
        messages.error(request, refusal.message)
        return redirect("security:two-factor")
    form_class = SecondFactorReauthForm if has_second_factor(user) else ReauthForm
    form = form_class(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound and form.is_valid():
        try:
            actions.remove_factor(
                user,
                kind,
                pk,
                proof=reauth.session_proof(request, **form.cleaned_data),
                ip=client_ip(request),
            )
        except Refused as refusal:
            show_on_form(form, refusal)
            status = refusal.status
        else:
            reauth.remember(request)
            messages.success(request, f"{device.name} removed.")
            return redirect("security:two-factor")
    context = {
        "device": device,
        "kind": kind,
        "form": form,
        "second_factor": form_class is SecondFactorReauthForm,
        "has_passkey": has_passkey(user),
        "reveal_url": reverse("security:two-factor-remove", args=[kind, pk]),
        "plain_form": True,
    }
    return render(request, "security/two_factor_remove.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def policy(request, app_id):
    """The workspace's "require two-factor for members" (admins)."""
    workspace = workspace_for(request.user, app_id, need="admin")
    owner = workspace.production if workspace.is_test and workspace.production else workspace
    form = PolicyForm(
        request.POST if request.method == "POST" else None,
        initial={"require_two_factor": owner.require_two_factor},
    )
    status = 200
    if form.is_bound and form.is_valid():
        required = form.cleaned_data["require_two_factor"]
        try:
            actions.set_two_factor_required(
                workspace, required, actor=request.user, ip=client_ip(request)
            )
        except Refused as refusal:
            show_on_form(form, refusal)
            status = refusal.status
        else:
            messages.success(
                request,
                "Two-factor is now required for members."
                if required
                else "Two-factor is no longer required.",
            )
            return redirect("security:two-factor-policy", app_id=workspace.app_id)
    context = {"workspace": workspace, "form": form, "required": owner.require_two_factor}
    return render(request, "security/two_factor_policy.html", context, status=status)
