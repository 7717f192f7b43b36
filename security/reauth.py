"""Proof of identity before revealing a secret or a key: the one flow both doors use.

The action that reveals calls ``confirm_identity`` first. The console remembers a good
proof in the session for REAUTH_SECONDS (``remember``); the API sends the proof in every
reveal request and never touches the session. A wrong password answers
``wrong_password`` (403) at both doors, and too many attempts ``rate_limited`` (429).

Once the actor has a second factor (``workspaces.two_factor.has_second_factor``) the
password is not asked and not enough: the proof is a TOTP code or a recovery code
(``code``, both doors) or a passkey assertion (console only: it needs the challenge kept
in the session). Without one: ``second_factor_required`` (400); a wrong one:
``wrong_code`` (403). Codes share the password attempts' per-user budget.

Passwords are checked with ``User.check_password``, not ``authenticate()``: a wrong
reveal password must not count towards the login lockout (the two budgets are apart).
"""

import json
import time
from dataclasses import dataclass

from workspaces import passkeys
from workspaces.access import record_refusal
from workspaces.refusals import Refused
from workspaces.two_factor import has_second_factor, verify_code

from . import ratelimit

REAUTH_SECONDS = 5 * 60
_SESSION_KEY = "verity_reauth_at"
# Wrong or right, password attempts per user before a pause, shared by every reveal
# (secrets and keys, console and API): no reveal form may become a password oracle.
PASSWORD_ATTEMPTS = 10
PASSWORD_WINDOW_SECONDS = 300
MAX_PASSWORD_LENGTH = 4096

WRONG_PASSWORD = "wrong_password"
PASSWORD_REQUIRED = "password_required"
WRONG_CODE = "wrong_code"
SECOND_FACTOR_REQUIRED = "second_factor_required"
NO_SECOND_FACTOR = "no_second_factor"
# The refusals after which the console shows the question (not an error) first.
PROOF_REQUIRED = (PASSWORD_REQUIRED, SECOND_FACTOR_REQUIRED)


@dataclass(frozen=True)
class PasskeyAnswer:
    """A WebAuthn assertion with the challenge it answers and where it was made."""

    state: dict | None
    data: dict | None
    rp_id: str
    origin: str


@dataclass(frozen=True)
class Proof:
    """What the caller offers: a password, a second factor (a TOTP or recovery ``code``,
    a ``passkey`` answer), or a console session confirmed recently."""

    password: str | None = None
    code: str | None = None
    passkey: PasskeyAnswer | None = None
    recently_confirmed: bool = False


def session_proof(request, password=None, code=None, passkey=None):
    """The console's proof: what was typed or signed (if anything), or the session's
    recent confirmation. ``passkey`` is the browser's JSON answer; its challenge is taken
    from the session (once)."""
    at = getattr(request, "session", {}).get(_SESSION_KEY)
    recent = isinstance(at, int | float) and time.time() - at < REAUTH_SECONDS
    answer = None
    if passkey:
        rp_id, origin = passkeys.relying_party(request)
        state = passkeys.take_assertion_state(request, "confirm")
        answer = PasskeyAnswer(state, json_object(passkey), rp_id, origin)
    return Proof(
        password=password or None, code=code or None, passkey=answer, recently_confirmed=recent
    )


def json_object(value):
    try:
        value = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def remember(request):
    """After a good password in the console: skip the question for REAUTH_SECONDS."""
    request.session[_SESSION_KEY] = time.time()


def confirm_identity(actor, proof, *, workspace=None, target="", ip=None, refused_action):
    """Return normally when ``proof`` confirms ``actor``; else raise Refused. A wrong
    password leaves a ``refused_action`` audit row (kept even if a transaction rolls back).
    """
    if proof.recently_confirmed:
        return
    refusal = {
        "actor": actor,
        "workspace": workspace,
        "target": target,
        "ip": ip,
        "refused_action": refused_action,
    }
    if has_second_factor(actor):
        _confirm_second_factor(actor, proof, refusal)
        return
    password = proof.password
    if (not isinstance(password, str) or not password) and proof.code:
        raise Refused(
            NO_SECOND_FACTOR,
            "You have no second factor: confirm with your password.",
            status=403,
            field="password",
        )
    if not isinstance(password, str) or not password:
        raise Refused(
            PASSWORD_REQUIRED,
            "Enter your password to reveal this.",
            status=400,
            field="password",
        )
    ratelimit.limit(
        "reveal-password",
        actor.pk,
        PASSWORD_ATTEMPTS,
        PASSWORD_WINDOW_SECONDS,
        what="Too many password attempts",
    )
    if len(password) > MAX_PASSWORD_LENGTH or not actor.check_password(password):
        record_refusal(
            refused_action,
            actor=actor,
            workspace=workspace,
            target=target,
            after={"reason": WRONG_PASSWORD},
            ip=ip,
        )
        raise Refused(WRONG_PASSWORD, "That is not your password.", status=403, field="password")


def _confirm_second_factor(actor, proof, refusal):
    if proof.passkey is None and not (isinstance(proof.code, str) and proof.code):
        raise Refused(
            SECOND_FACTOR_REQUIRED,
            "Your account has two-factor authentication: confirm with your passkey or a "
            "code from your authenticator app (or a recovery code), not your password.",
            status=400,
            field="code",
        )
    ratelimit.limit(
        "reveal-password",
        actor.pk,
        PASSWORD_ATTEMPTS,
        PASSWORD_WINDOW_SECONDS,
        what="Too many confirmation attempts",
    )
    if proof.passkey is not None:
        answer = proof.passkey
        device = passkeys.verify_assertion(
            actor, answer.state, answer.data, rp_id=answer.rp_id, origin=answer.origin
        )
    else:
        device = verify_code(actor, proof.code)
    if device is None:
        record_refusal(
            refusal["refused_action"],
            actor=actor,
            workspace=refusal["workspace"],
            target=refusal["target"],
            after={"reason": WRONG_CODE},
            ip=refusal["ip"],
        )
        raise Refused(
            WRONG_CODE,
            "That code is not right, or the passkey was not accepted.",
            status=403,
            field="code",
        )
