"""Proof of identity before revealing a secret or a key: the one flow both doors use.

The action that reveals calls ``confirm_identity`` first. The console remembers a good
password in the session for REAUTH_SECONDS (``remember``); the API sends the password in
every reveal request and never touches the session. A wrong password answers
``wrong_password`` (403) at both doors, and too many attempts ``rate_limited`` (429).

Passwords are checked with ``User.check_password``, not ``authenticate()``: a wrong
reveal password must not count towards the login lockout (the two budgets are apart).
"""

import time
from dataclasses import dataclass

from workspaces.access import record_refusal
from workspaces.refusals import Refused

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


@dataclass(frozen=True)
class Proof:
    """What the caller offers: a password, or a console session confirmed recently."""

    password: str | None = None
    recently_confirmed: bool = False


def session_proof(request, password=None):
    """The console's proof: the password typed (if any) or the session's recent one."""
    at = getattr(request, "session", {}).get(_SESSION_KEY)
    recent = isinstance(at, int | float) and time.time() - at < REAUTH_SECONDS
    return Proof(password=password or None, recently_confirmed=recent)


def remember(request):
    """After a good password in the console: skip the question for REAUTH_SECONDS."""
    request.session[_SESSION_KEY] = time.time()


def confirm_identity(actor, proof, *, workspace=None, target="", ip=None, refused_action):
    """Return normally when ``proof`` confirms ``actor``; else raise Refused. A wrong
    password leaves a ``refused_action`` audit row (kept even if a transaction rolls back).
    """
    if proof.recently_confirmed:
        return
    password = proof.password
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
