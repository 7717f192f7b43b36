"""Second factors: who has one, what it is called, checking a code, and who must have one.

The factors are django-otp devices: ``TOTPDevice`` (an authenticator app),
``StaticDevice`` (recovery codes, each single-use) and django-otp-webauthn's
``WebAuthnCredential`` (passkeys and security keys, ``workspaces.passkeys``). Only
confirmed devices count: a TOTP device waiting for its first code is no factor yet.

``has_second_factor`` and ``second_factor_label`` are what other pages show (the members
list's two-factor column).
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from .refusals import Refused

TWO_FACTOR_REQUIRED = "two_factor_required"
MAX_CODE_LENGTH = 64

# The name a recovery-code device gets (one per user).
RECOVERY_CODES = "Recovery codes"
RECOVERY_CODE_COUNT = 10


def _confirmed(model, user):
    return model.objects.filter(user=user, confirmed=True)


def factors_of(user):
    """{"totp": bool, "passkeys": int, "recovery_codes": int (left)} for ``user``."""
    if not getattr(user, "is_authenticated", False):
        return {"totp": False, "passkeys": 0, "recovery_codes": 0}
    return {
        "totp": _confirmed(TOTPDevice, user).exists(),
        "passkeys": _confirmed(WebAuthnCredential, user).count(),
        "recovery_codes": sum(
            device.token_set.count() for device in _confirmed(StaticDevice, user)
        ),
    }


def has_second_factor(user):
    """True once ``user`` has an authenticator app or a passkey. Recovery codes alone are
    no factor: they are the way back when the others are lost."""
    if not getattr(user, "is_authenticated", False):
        return False
    return _confirmed(TOTPDevice, user).exists() or _confirmed(WebAuthnCredential, user).exists()


def second_factor_label(user):
    """A short readable status: "Passkey (2), authenticator app", or "None"."""
    factors = factors_of(user)
    parts = []
    if factors["passkeys"]:
        parts.append("Passkey" + (f" ({factors['passkeys']})" if factors["passkeys"] > 1 else ""))
    if factors["totp"]:
        parts.append("authenticator app" if parts else "Authenticator app")
    return ", ".join(parts) if parts else "None"


def verify_code(user, code):
    """The device whose code ``code`` is (a TOTP code, or a recovery code, which is used
    up), or None. django-otp checks it: TOTP within one step of drift, never the same
    step twice, and each device pauses after wrong codes (OTP_*_THROTTLE_FACTOR)."""
    if not isinstance(code, str):
        return None
    code = "".join(code.split()).lower()
    if not code or len(code) > MAX_CODE_LENGTH:
        return None
    devices = []
    if code.isdigit():
        devices += list(_confirmed(TOTPDevice, user))
    devices += list(_confirmed(StaticDevice, user))
    for device in devices:
        if device.verify_token(code):
            return device
    return None


def has_passkey(user):
    return _confirmed(WebAuthnCredential, user).exists()


def requires_two_factor(workspace):
    """Whether ``workspace`` (or the production workspace its [TEST] twin belongs to)
    requires its members to have a second factor."""
    owner = workspace.production if workspace.is_test and workspace.production else workspace
    return owner.require_two_factor


def enrolment_refusal(why):
    return Refused(
        TWO_FACTOR_REQUIRED,
        f"{why} Add an authenticator app or a passkey on your profile "
        "(/profile/two-factor/) first.",
        status=403,
    )


def check_member(user, workspace):
    """Raise ``two_factor_required`` (403) when ``workspace`` requires a second factor
    and ``user`` has none. The console sends the user to enrolment instead."""
    if requires_two_factor(workspace) and not has_second_factor(user):
        raise enrolment_refusal("This workspace requires two-factor authentication.")


def check_support(user):
    """Support staff need a second factor outside DEBUG."""
    if not settings.DEBUG and not has_second_factor(user):
        raise enrolment_refusal("Support staff need two-factor authentication.")


class EnrolmentRedirectMiddleware:
    """The console's answer to ``two_factor_required``: the enrolment page, with a way
    back (the API's exception handler answers the 403 JSON itself)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not (isinstance(exception, Refused) and exception.code == TWO_FACTOR_REQUIRED):
            return None
        if request.path.startswith("/api/"):
            return None
        target = f"{reverse('security:two-factor')}?{urlencode({'required': request.path})}"
        response = redirect(target)
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
        return response
