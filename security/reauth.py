"""Fresh re-authentication before revealing a secret or a key.

The console asks for the password once and remembers the moment in the session for
REAUTH_SECONDS; the API asks for the password in every reveal request.
"""

import time

from django.contrib.auth import authenticate

from . import ratelimit

REAUTH_SECONDS = 5 * 60
_SESSION_KEY = "verity_reauth_at"
# Wrong or right, password attempts per user before a pause, shared by every reveal
# (secrets and keys, console and API): no reveal form may become a password oracle.
PASSWORD_ATTEMPTS = 10
PASSWORD_WINDOW_SECONDS = 300


def attempt_wait(user):
    """Count one password attempt by ``user``: 0 if allowed, else seconds to wait."""
    return ratelimit.hit("reveal-password", user.pk, PASSWORD_ATTEMPTS, PASSWORD_WINDOW_SECONDS)


def check_password(request, password):
    """True when ``password`` is the current user's; remembers it in the session."""
    if not isinstance(password, str) or not password:
        return False
    user = authenticate(request, username=request.user.get_username(), password=password)
    if user is None or user.pk != request.user.pk:
        return False
    if hasattr(request, "session"):
        request.session[_SESSION_KEY] = time.time()
    return True


def recently_confirmed(request):
    at = getattr(request, "session", {}).get(_SESSION_KEY)
    return isinstance(at, int | float) and time.time() - at < REAUTH_SECONDS
