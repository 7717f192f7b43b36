"""The messenger JWT method: pure verification of HS256 tokens against a key set.

A ``KeyCandidate`` is (kid, key, valid_until): the key as the customer holds it (a
string, used as UTF-8 bytes like every JWT library does) and, for a key in its grace
period, the moment it stops verifying. Revoked keys are never passed in.
"""

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import jwt

LEEWAY_SECONDS = 30
ALGORITHM = "HS256"

JWT_MALFORMED = "jwt_malformed"
JWT_BAD_ALGORITHM = "jwt_bad_algorithm"
JWT_UNKNOWN_KEY = "jwt_unknown_key"
JWT_INVALID_SIGNATURE = "jwt_invalid_signature"
JWT_EXPIRED = "jwt_expired"
JWT_NOT_YET_VALID = "jwt_not_yet_valid"
JWT_MISSING_USER_ID = "jwt_missing_user_id"
JWT_USER_MISMATCH = "jwt_user_mismatch"


@dataclass(frozen=True)
class KeyCandidate:
    kid: str
    key: str
    valid_until: datetime | None = None

    def usable_at(self, now):
        return self.valid_until is None or self.valid_until > now


@dataclass(frozen=True)
class TokenResult:
    """Either ``claims`` and the ``kid`` that verified them, or a failure ``code``."""

    code: str | None = None
    claims: dict | None = None
    kid: str | None = None

    @property
    def ok(self):
        return self.code is None


def unverified_header(token):
    """The decoded JOSE header, or None when the token is not a JWS compact string."""
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    header = _parse_header(token)
    return dict(header) if header is not None else None


@lru_cache(maxsize=8192)
def _parse_header(token):
    # Pure in ``token``, so remembered: a messenger sends the same token on every page.
    try:
        header = jwt.get_unverified_header(token)
    except (jwt.InvalidTokenError, UnicodeError, ValueError, TypeError):
        # InvalidTokenError covers DecodeError and header checks such as a non-string kid.
        return None
    return header if isinstance(header, dict) else None


class _VerifiedTokens:
    """Claims of tokens PyJWT has verified, per (token, key), until they expire.

    PyJWT's checks depend on the wall clock only through exp, nbf and iat, and once a
    token has passed, only exp can make it fail later: so a success is reused until
    exp + leeway, never beyond, and failures are never remembered. A revoked key or
    an ended grace never reaches this cache (``verify`` only offers usable keys).
    """

    def __init__(self, size=8192):
        self._size = size
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def clear(self):
        with self._lock:
            self._entries.clear()

    def get(self, token, key):
        with self._lock:
            entry = self._entries.get((token, key))
            if entry is None:
                return None
            claims, until = entry
            if until is not None and time.time() > until:
                del self._entries[(token, key)]
                return None
            self._entries.move_to_end((token, key))
            return claims

    def put(self, token, key, claims):
        exp = claims.get("exp")
        until = exp + LEEWAY_SECONDS if isinstance(exp, int | float) else None
        with self._lock:
            self._entries[(token, key)] = (claims, until)
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)


verified_tokens = _VerifiedTokens()


def _decode(token, key):
    """PyJWT's verification of ``token`` with ``key``, remembered while it holds."""
    claims = verified_tokens.get(token, key)
    if claims is None:
        claims = _pyjwt_decode(token, key)
        verified_tokens.put(token, key, claims)
    return dict(claims)


def _pyjwt_decode(token, key):
    # PyJWT checks exp/nbf/iat against the wall clock; ``now`` in ``verify`` only
    # decides which keys are still inside their grace period.
    return jwt.decode(
        token,
        key.encode("utf-8"),
        algorithms=[ALGORITHM],
        leeway=LEEWAY_SECONDS,
        # Only user_id is ours to check; sub/jti/aud/iss belong to the customer.
        options={
            "verify_aud": False,
            "verify_iss": False,
            "verify_sub": False,
            "verify_jti": False,
        },
    )


def verify(token, candidates, now):
    """Verify ``token`` against the keys in ``candidates`` that are usable at ``now``."""
    header = unverified_header(token)
    if header is None:
        return TokenResult(code=JWT_MALFORMED)
    if header.get("alg") != ALGORITHM:
        return TokenResult(code=JWT_BAD_ALGORITHM)
    usable = [c for c in candidates if c.usable_at(now)]
    if "kid" in header:
        kid = header["kid"]
        usable = [c for c in usable if isinstance(kid, str) and c.kid == kid]
        if not usable:
            return TokenResult(code=JWT_UNKNOWN_KEY)
    elif not usable:
        return TokenResult(code=JWT_INVALID_SIGNATURE)
    for candidate in usable:
        try:
            claims = _decode(token, candidate.key)
        except jwt.InvalidSignatureError:
            continue
        except jwt.ExpiredSignatureError:
            return TokenResult(code=JWT_EXPIRED, kid=candidate.kid)
        except jwt.ImmatureSignatureError:
            return TokenResult(code=JWT_NOT_YET_VALID, kid=candidate.kid)
        except (jwt.InvalidTokenError, ValueError, TypeError, OverflowError):
            return TokenResult(code=JWT_MALFORMED, kid=candidate.kid)
        user_id = claims.get("user_id")
        if not isinstance(user_id, str) or not user_id:
            return TokenResult(code=JWT_MISSING_USER_ID, kid=candidate.kid)
        return TokenResult(claims=claims, kid=candidate.kid)
    return TokenResult(code=JWT_INVALID_SIGNATURE)
