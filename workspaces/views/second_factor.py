"""Logging in with a second factor: the password step, then a TOTP code, a recovery code
or a passkey for users who enrolled one.

After a right password the user is not logged in yet: the session only remembers who
passed the password step (``PENDING``, for PENDING_SECONDS). Nothing else opens until
the second factor is right; then Django's ``login`` runs as for anybody else. A wrong
second factor is a failed login for django-axes (the ``user_login_failed`` signal, keyed
by username and address like a wrong password): the same lock, the same audit event.
"""

import json
import time

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_login_failed
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from .. import passkeys
from ..two_factor import MAX_CODE_LENGTH, has_passkey, has_second_factor, verify_code

PENDING = "verity_login_pending"
PENDING_SECONDS = 5 * 60
MAX_PASSKEY_ANSWER = 16_384


class PasswordLoginView(auth_views.LoginView):
    """Django's login view; a user with a second factor goes on to ``second_factor``."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if not has_second_factor(user):
            return super().form_valid(form)
        self.request.session.cycle_key()
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "at": time.time(),
            "next": self.get_success_url(),
        }
        return redirect("workspaces:login-second-factor")


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label="Code",
        required=False,
        max_length=MAX_CODE_LENGTH,
        help_text="The 6 digits your authenticator app shows, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )
    passkey = forms.CharField(
        required=False, max_length=MAX_PASSKEY_ANSWER, widget=forms.HiddenInput
    )


def _pending_user(request):
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None, None
    user = get_user_model().objects.filter(pk=pending.get("user"), is_active=True).first()
    return user, pending


def _credentials(user):
    return {get_user_model().USERNAME_FIELD: user.get_username()}


def _passkey_answer(value):
    try:
        data = json.loads(value)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


@never_cache
@require_http_methods(["GET", "POST"])
def second_factor(request):
    """Ask for the second factor of the user who passed the password step."""
    user, pending = _pending_user(request)
    if user is None:
        return redirect("workspaces:login")
    credentials = _credentials(user)
    form = SecondFactorForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        if not AxesProxyHandler.is_allowed(request, credentials):
            request.axes_locked_out = True  # AxesMiddleware answers with the lockout page
            return render(request, "registration/second_factor.html", {"form": form})
        device = _check(request, user, form.cleaned_data)
        if device is not None:
            request.session.pop(PENDING, None)
            login(request, user, backend=pending["backend"])
            return redirect(pending.get("next") or "workspaces:home")
        user_login_failed.send(
            sender=__name__, credentials=credentials, request=request, stage="second_factor"
        )
        form.add_error(
            "code" if form.cleaned_data["code"] else None,
            "That code is not right, or the passkey was not accepted. Try again.",
        )
    context = {"form": form, "has_passkey": has_passkey(user), "pending_user": user}
    status = 400 if form.is_bound else 200
    return render(request, "registration/second_factor.html", context, status=status)


def _check(request, user, data):
    if data["passkey"]:
        state = passkeys.take_assertion_state(request, "login")
        rp_id, origin = passkeys.relying_party(request)
        return passkeys.verify_assertion(
            user, state, _passkey_answer(data["passkey"]), rp_id=rp_id, origin=origin
        )
    return verify_code(user, data["code"])


@never_cache
@require_POST
def second_factor_passkey_options(request):
    """The WebAuthn request options for the user of the password step (JSON)."""
    user, _ = _pending_user(request)
    if user is None or not has_passkey(user):
        return JsonResponse(
            {"error": "no_pending_login", "message": "Log in with your password first."},
            status=400,
        )
    return JsonResponse(passkeys.begin_assertion(request, user, "login"))
