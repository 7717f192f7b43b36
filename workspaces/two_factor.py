"""Second factors: who has one, what it is called, checking a code, and who must have one.

The factors are django-otp devices: ``security.authenticator.AuthenticatorApp`` (TOTP,
its seed encrypted), ``StaticDevice`` (recovery codes, each single-use, stored as HMACs)
and django-otp-webauthn's ``WebAuthnCredential`` (passkeys and security keys,
``workspaces.passkeys``). Only confirmed devices count: an authenticator app waiting for
its first code is no factor yet.

``has_second_factor`` and ``second_factor_label`` are what other pages show (the members
list's two-factor column).
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.crypto import get_random_string, salted_hmac
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp_webauthn.models import WebAuthnCredential

from .refusals import Refused

TWO_FACTOR_REQUIRED = "two_factor_required"
MAX_CODE_LENGTH = 64

# The name a recovery-code device gets (one per user).
RECOVERY_CODES = "Recovery codes"
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l
RECOVERY_CODE_LENGTH = 10  # without the dash and spaces


def kind_of(device):
    """ "passkey", "recovery" or "totp" (the authenticator app, security.authenticator:
    found through django-otp's device registry, since this app sits below security)."""
    if isinstance(device, WebAuthnCredential):
        return "passkey"
    if isinstance(device, StaticDevice):
        return "recovery"
    return "totp"


def _devices(user):
    if not getattr(user, "is_authenticated", False):
        return []
    return list(devices_for_user(user, confirmed=True))


def factors_of(user):
    """{"totp": bool, "passkeys": int, "recovery_codes": int (left)} for ``user``."""
    devices = _devices(user)
    kinds = [kind_of(device) for device in devices]
    recovery = [device for device in devices if kind_of(device) == "recovery"]
    return {
        "totp": "totp" in kinds,
        "passkeys": kinds.count("passkey"),
        "recovery_codes": sum(device.token_set.count() for device in recovery),
    }


def has_second_factor(user):
    """True once ``user`` has an authenticator app or a passkey. Recovery codes alone are
    no factor: they are the way back when the others are lost."""
    return any(kind_of(device) != "recovery" for device in _devices(user))


def second_factor_label(user):
    """A short readable status: "Passkey (2), authenticator app", or "None"."""
    factors = factors_of(user)
    parts = []
    if factors["passkeys"]:
        parts.append("Passkey" + (f" ({factors['passkeys']})" if factors["passkeys"] > 1 else ""))
    if factors["totp"]:
        parts.append("authenticator app" if parts else "Authenticator app")
    return ", ".join(parts) if parts else "None"


def new_recovery_code():
    """Ten random characters (50 bits), shown as ``abcde-fghij``."""
    code = get_random_string(RECOVERY_CODE_LENGTH, _RECOVERY_ALPHABET)
    return f"{code[:5]}-{code[5:]}"


def recovery_digest(code):
    """What is stored of a recovery code: 64 bits of an HMAC keyed by SECRET_KEY, so a
    database dump alone holds no usable code."""
    normalised = "".join(code.split()).replace("-", "").lower()
    return salted_hmac("verity.recovery-code", normalised).hexdigest()[:16]


def verify_code(user, code):
    """The device whose code ``code`` is (a TOTP code, or a recovery code, which is used
    up), or None. django-otp's devices check it: TOTP within one step of drift, never the
    same step twice, and each device pauses after wrong codes (OTP_*_THROTTLE_FACTOR)."""
    if not isinstance(code, str):
        return None
    code = "".join(code.split()).lower()
    if not code or len(code) > MAX_CODE_LENGTH:
        return None
    # Each device sees only codes of its own shape: a wrong try counts against the device
    # it was meant for (django-otp pauses that device), so a right authenticator code must
    # not pause the recovery codes, nor a mistyped recovery code the authenticator app.
    is_recovery_code = len(code.replace("-", "")) == RECOVERY_CODE_LENGTH
    for device in _devices(user):
        kind = kind_of(device)
        is_app_code = kind == "totp" and code.isdigit() and len(code) == device.DIGITS
        if is_app_code and device.verify_token(code):
            return device
        if kind == "recovery" and is_recovery_code and device.verify_token(recovery_digest(code)):
            return device
    return None


def has_passkey(user):
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()


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
