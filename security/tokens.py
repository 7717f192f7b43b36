"""The messenger JWT method: pure verification of tokens against a key set.

A ``KeyCandidate`` is (kid, key, valid_until, algorithm, verifier): for an HS256 key,
the key as the customer holds it (a string, used as UTF-8 bytes like every JWT library
does); for a public key (ES256, EdDSA, RS256), its PEM and, as ``verifier``, the key
already loaded by ``security.public_keys.prepare``. ``valid_until`` is, for a key in its
grace period, the moment it stops verifying. Revoked keys are never passed in.

Each key is pinned to its one algorithm (RFC 8725 §3.1): a token verifies only against
keys whose ``algorithm`` is its header's ``alg``, so an HS256 token never meets a public
key (the public key's bytes as an HMAC secret) and a public-key token never an HS256
key. A header that carries or points at a key (``jwk``, ``jku``, ``x5u``, ``x5c``) is
refused: keys come from the workspace only, never from the token.
"""

import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

import jwt

LEEWAY_SECONDS = 30
ALGORITHM = "HS256"  # the messenger keys Verity generates (shared secrets)
ES256, EDDSA, RS256 = "ES256", "EdDSA", "RS256"
PUBLIC_KEY_ALGORITHMS = (ES256, EDDSA, RS256)
ALGORITHMS = frozenset((ALGORITHM, *PUBLIC_KEY_ALGORITHMS))
# Headers that carry a key or say where to fetch one: never trusted (RFC 8725 §3.10).
EMBEDDED_KEY_HEADERS = frozenset(("jwk", "jku", "x5u", "x5c"))
TIME_CLAIMS = ("exp", "nbf", "iat")

JWT_MALFORMED = "jwt_malformed"
JWT_BAD_ALGORITHM = "jwt_bad_algorithm"
JWT_UNKNOWN_KEY = "jwt_unknown_key"
JWT_INVALID_SIGNATURE = "jwt_invalid_signature"
JWT_EXPIRED = "jwt_expired"
JWT_NOT_YET_VALID = "jwt_not_yet_valid"
JWT_MISSING_USER_ID = "jwt_missing_user_id"
JWT_USER_MISMATCH = "jwt_user_mismatch"
JWT_ALGORITHM_NOT_ALLOWED = "jwt_algorithm_not_allowed"
JWT_KID_REQUIRED = "jwt_kid_required"
JWT_EMBEDDED_KEY = "jwt_embedded_key"


@dataclass(frozen=True)
class KeyCandidate:
    kid: str
    key: str
    valid_until: datetime | None = None
    algorithm: str = ALGORITHM
    # A public key loaded once per snapshot (security.public_keys.prepare); None for HS256.
    verifier: object = field(default=None, compare=False, repr=False)
    # A key fetched from a JWKS URL: the kid of that source (its MessengerKey), which
    # counts and last-used name as the proof; None for a key registered itself.
    source: str | None = None

    def usable_at(self, now):
        return self.valid_until is None or self.valid_until > now


@dataclass(frozen=True)
class TokenResult:
    """Either ``claims`` and the ``kid`` that verified them, or a failure ``code``."""

    code: str | None = None
    claims: dict | None = None
    kid: str | None = None
    source: str | None = None  # the JWKS source of the key that verified, if any

    @property
    def ok(self):
        return self.code is None


def deep_size(value):
    """Bytes held by ``value`` and everything in it (JSON-like values: str, numbers,
    None, dict, list, tuple), as sys.getsizeof counts them; shared objects count each time
    they are reached, so the figure errs high. Iterative: nesting depth costs no stack."""
    total, pending = 0, [value]
    while pending:
        item = pending.pop()
        total += sys.getsizeof(item)
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return total


class BoundedCache:
    """A thread-safe LRU map bounded by entries and by bytes.

    Each entry is charged ``deep_size`` of its key and value plus ENTRY_OVERHEAD (the
    map's own node); the least recently used entries go until both bounds hold, and a
    value that alone would pass the byte bound is not kept at all. Measuring happens
    on ``put`` only (a miss, next to the work it saves); ``get`` costs a lookup
    (~0.1 µs, against ~0.08 µs for functools.lru_cache, which cannot count bytes).
    """

    ENTRY_OVERHEAD = 200  # an OrderedDict node and its (value, cost) tuple, rounded up

    def __init__(self, max_entries, max_bytes):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self):
        return len(self._entries)

    @property
    def nbytes(self):
        """The bytes charged to the entries held now; never above ``max_bytes``."""
        return self._bytes

    def clear(self):
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def get(self, key, default=None):
        # No lock on the hot path: each OrderedDict call is atomic under the GIL, and the
        # byte count only changes in put, pop and clear, which hold the lock.
        entry = self._entries.get(key)
        if entry is None:
            return default
        try:  # noqa: SIM105  (contextlib.suppress costs ~3x as much here)
            self._entries.move_to_end(key)
        except KeyError:  # evicted by another thread meanwhile: still a valid answer
            pass
        return entry[0]

    def pop(self, key):
        with self._lock:
            entry = self._entries.pop(key, None)
            if entry is not None:
                self._bytes -= entry[1]

    def put(self, key, value):
        cost = deep_size(key) + deep_size(value) + self.ENTRY_OVERHEAD
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            if cost > self.max_bytes:
                return
            self._entries[key] = (value, cost)
            self._bytes += cost
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._bytes -= evicted


def unverified_header(token):
    """The decoded JOSE header, or None when the token is not a JWS compact string."""
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    header = _parse_header(token)
    return dict(header) if header is not None else None


# A messenger sends the same token on every page, so headers are remembered; anybody can
# send any token, so the memory they take is bounded in bytes, not only in entries.
_headers = BoundedCache(max_entries=8192, max_bytes=8 * 1024 * 1024)
_NO_HEADER = object()


def _parse_header(token):
    header = _headers.get(token, _NO_HEADER)
    if header is _NO_HEADER:
        header = _read_header(token)
        _headers.put(token, header)
    return header


def _read_header(token):
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
    Bounded in entries and in bytes (BoundedCache).
    """

    def __init__(self, size=8192, max_bytes=16 * 1024 * 1024):
        self._cache = BoundedCache(max_entries=size, max_bytes=max_bytes)

    def clear(self):
        self._cache.clear()

    def get(self, token, key):
        entry = self._cache.get((token, key))
        if entry is None:
            return None
        claims, until = entry
        if until is not None and time.time() > until:
            self._cache.pop((token, key))
            return None
        return claims

    def put(self, token, key, claims):
        exp = claims.get("exp")
        until = exp + LEEWAY_SECONDS if isinstance(exp, int | float) else None
        self._cache.put((token, key), (claims, until))


verified_tokens = _VerifiedTokens()


def numeric_dates(claims):
    """Whether every exp/nbf/iat present is a JSON number, as RFC 7519 §2 (NumericDate)
    wants. PyJWT also takes a numeric string ("1767225600") and ``true``."""
    for claim in TIME_CLAIMS:
        if claim in claims:
            value = claims[claim]
            if isinstance(value, bool) or not isinstance(value, int | float):
                return False
    return True


def _decode(token, candidate):
    """PyJWT's verification of ``token`` with ``candidate``, remembered while it holds."""
    key = candidate.key
    claims = verified_tokens.get(token, key)
    if claims is None:
        if candidate.algorithm == ALGORITHM:
            claims = _pyjwt_decode(token, key)
        else:
            claims = _pyjwt_decode_public(token, candidate)
        if not numeric_dates(claims):
            raise jwt.DecodeError("exp, nbf and iat must be JSON numbers")
        verified_tokens.put(token, key, claims)
    return dict(claims)


def _time_failure(token, code):
    """``code`` (expired, not yet valid) for a token whose signature has verified, unless
    the claim PyJWT judged is not a JSON number: that token is malformed, whatever the time."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except (jwt.InvalidTokenError, ValueError, TypeError):
        return JWT_MALFORMED
    return code if numeric_dates(claims) else JWT_MALFORMED


# Only user_id is ours to check; sub/jti/aud/iss belong to the customer.
_OPTIONS = {"verify_aud": False, "verify_iss": False, "verify_sub": False, "verify_jti": False}


def _pyjwt_decode(token, key):
    # PyJWT checks exp/nbf/iat against the wall clock; ``now`` in ``verify`` only
    # decides which keys are still inside their grace period.
    return jwt.decode(
        token, key.encode("utf-8"), algorithms=[ALGORITHM], leeway=LEEWAY_SECONDS, options=_OPTIONS
    )


def _pyjwt_decode_public(token, candidate):
    # The one algorithm the key is pinned to; PyJWT's cryptography backend verifies.
    return jwt.decode(
        token,
        candidate.verifier if candidate.verifier is not None else candidate.key,
        algorithms=[candidate.algorithm],
        leeway=LEEWAY_SECONDS,
        options=_OPTIONS,
    )


def verify(token, candidates, now):
    """Verify ``token`` against the keys in ``candidates`` that are usable at ``now``.

    The header's ``alg`` picks the keys: only those pinned to it are ever tried. An HS256
    token without ``kid`` tries every usable HS256 key (as before public keys existed, so
    rotation needs no kid); a public-key token needs a ``kid`` once the workspace has more
    than one usable key.
    """
    header = unverified_header(token)
    if header is None:
        return TokenResult(code=JWT_MALFORMED)
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALGORITHMS:
        return TokenResult(code=JWT_BAD_ALGORITHM)
    if not EMBEDDED_KEY_HEADERS.isdisjoint(header):
        return TokenResult(code=JWT_EMBEDDED_KEY)
    if "kid" in header:
        kid = header["kid"]
        usable = [
            c for c in candidates if c.usable_at(now) and isinstance(kid, str) and c.kid == kid
        ]
        if not usable:
            return TokenResult(code=JWT_UNKNOWN_KEY)
        if usable[0].algorithm != alg:
            if alg != ALGORITHM and not any(
                c.algorithm == alg and c.usable_at(now) for c in candidates
            ):
                # No key of this workspace allows this algorithm at all.
                return TokenResult(code=JWT_BAD_ALGORITHM)
            return TokenResult(code=JWT_ALGORITHM_NOT_ALLOWED, kid=usable[0].kid)
    elif alg != ALGORITHM:
        pinned = [c for c in candidates if c.usable_at(now) and c.algorithm == alg]
        if not pinned:
            return TokenResult(code=JWT_BAD_ALGORITHM)
        if sum(1 for c in candidates if c.usable_at(now)) > 1:
            return TokenResult(code=JWT_KID_REQUIRED)
        usable = pinned
    else:
        usable = [c for c in candidates if c.usable_at(now) and c.algorithm == ALGORITHM]
        if not usable:
            return TokenResult(code=JWT_INVALID_SIGNATURE)
    for candidate in usable:
        try:
            claims = _decode(token, candidate)
        except jwt.InvalidSignatureError:
            continue
        except jwt.ExpiredSignatureError:
            return TokenResult(code=_time_failure(token, JWT_EXPIRED), kid=candidate.kid)
        except jwt.ImmatureSignatureError:
            return TokenResult(code=_time_failure(token, JWT_NOT_YET_VALID), kid=candidate.kid)
        except (jwt.InvalidTokenError, ValueError, TypeError, OverflowError):
            return TokenResult(code=JWT_MALFORMED, kid=candidate.kid)
        user_id = claims.get("user_id")
        if not isinstance(user_id, str) or not user_id:
            return TokenResult(code=JWT_MISSING_USER_ID, kid=candidate.kid)
        return TokenResult(claims=claims, kid=candidate.kid, source=candidate.source)
    return TokenResult(code=JWT_INVALID_SIGNATURE)
