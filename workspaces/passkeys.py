"""Passkeys and security keys (WebAuthn) through django-otp-webauthn's helper, which
verifies every answer with py_webauthn (challenge, origin, RP ID, signature, counter).

Verity drives the ceremonies itself instead of mounting the package's views: those log a
user in by passkey alone or assume a half-logged-in session, while here a passkey is a
second factor, asked of a user the password step identified (``workspaces.views.
second_factor``) or of a logged-in user confirming a reveal (``security.reauth``).

The relying party is the host the page was served from, and the origin its scheme and
host: a passkey works only under the name it was registered on.
"""

import logging

from django.http.request import split_domain_port
from django_otp_webauthn import exceptions
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.utils import rewrite_exceptions
from webauthn.helpers.structs import ResidentKeyRequirement

from .refusals import Refused

log = logging.getLogger("verity.passkeys")

REGISTER_STATE = "verity_passkey_register"
# One assertion state per purpose, so a login ceremony cannot answer a reveal's.
ASSERT_STATE = "verity_passkey_assert_{}"
WRONG_PASSKEY = "wrong_passkey"


def relying_party(request):
    """(RP ID, origin) of ``request``: its host without the port, and scheme + host."""
    host = request.get_host()  # validated against ALLOWED_HOSTS
    domain, _port = split_domain_port(host)
    return domain.strip("[]"), f"{request.scheme}://{host}"


def rp_id_of(request):
    """OTP_WEBAUTHN_RP_ID_CALLABLE: the relying party ID of ``request``."""
    return relying_party(request)[0]


class PasskeyHelper(WebAuthnHelper):
    """The package's helper, with the relying party taken from the request (or given)."""

    def __init__(self, request=None, *, rp_id=None, origin=None):
        super().__init__(request)
        if request is not None and (rp_id is None or origin is None):
            rp_id, origin = relying_party(request)
        self.rp_id, self.origin = rp_id, origin

    def get_relying_party_domain(self):
        return self.rp_id

    def get_allowed_origins(self):
        return [self.origin]

    def get_discoverable_credentials_preference(self):
        # Passkeys (resident) where the authenticator can; security keys need not.
        return ResidentKeyRequirement.PREFERRED


def begin_registration(request, user):
    """The creation options for the browser; the challenge waits in the session."""
    options, state = PasskeyHelper(request).register_begin(user=user)
    request.session[REGISTER_STATE] = state
    return options


def complete_registration(request, user, data):
    """Verify the browser's answer and store the new credential (unsaved name: the caller
    names it and audits). Refuses ``invalid_passkey`` (400)."""
    state = request.session.pop(REGISTER_STATE, None)
    request.session.save()  # the challenge is used once, even if this fails
    if not state or not isinstance(data, dict):
        raise Refused(
            "invalid_passkey", "Start the registration again.", status=400, field="passkey"
        )
    try:
        with rewrite_exceptions(logger=None):
            return PasskeyHelper(request).register_complete(user=user, state=state, data=data)
    except (exceptions.OTPWebAuthnApiError, KeyError, TypeError, ValueError) as exc:
        # The browser's (or an attacker's) answer, not our fault: one line, no trace.
        log.info("passkey registration refused: %s", type(exc).__name__)
        raise Refused(
            "invalid_passkey",
            "The passkey could not be registered. Try again.",
            status=400,
            field="passkey",
        ) from None


def begin_assertion(request, user, purpose):
    """Request options listing ``user``'s credentials; the challenge waits in the session
    under ``purpose`` ("login" or "confirm")."""
    options, state = PasskeyHelper(request).authenticate_begin(
        user=user, require_user_verification=False
    )
    request.session[ASSERT_STATE.format(purpose)] = state
    return options


def take_assertion_state(request, purpose):
    """The waiting challenge of ``purpose``, removed from the session (used once)."""
    state = request.session.pop(ASSERT_STATE.format(purpose), None)
    request.session.save()
    return state


def verify_assertion(user, state, data, *, rp_id, origin):
    """The credential of ``user`` that signed ``state``'s challenge in ``data``, or None.
    py_webauthn checks the signature, origin, RP ID and the signature counter."""
    if not state or not isinstance(data, dict):
        return None
    helper = PasskeyHelper(rp_id=rp_id, origin=origin)
    try:
        with rewrite_exceptions(logger=None):
            device = helper.authenticate_complete(user=user, state=state, data=data)
    except (exceptions.OTPWebAuthnApiError, KeyError, TypeError, ValueError):
        return None
    return device if device.confirmed else None
