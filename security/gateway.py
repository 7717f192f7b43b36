"""The messenger gateway's rules (SPEC §3): parse a ping, decide its fate.

Pure: plain values in, plain values out. The HTTP endpoint (installcheck.views) reads
the body and the Origin, fetches a WorkspaceConfig snapshot, calls ``decide``, counts
the outcome and renders ``Decision.body``.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from workspaces.domains import MAX_ORIGIN_LENGTH, host_matches

from . import hashing, tokens, versions
from .vocabulary import PLATFORMS, REJECTED, UNVERIFIED, VERIFIED, VISITOR, jwt_reference

MAX_BODY_BYTES = 8 * 1024
MAX_IDENTIFIER_LENGTH = 255
MAX_USER_HASH_LENGTH = 256

# field -> (maximum length, required)
PING_FIELDS = {
    "app_id": (64, True),
    "platform": (16, True),
    "user_id": (MAX_IDENTIFIER_LENGTH, False),
    "email": (MAX_IDENTIFIER_LENGTH, False),
    "user_hash": (MAX_USER_HASH_LENGTH, False),
    "user_jwt": (MAX_BODY_BYTES, False),
    "app_bundle": (MAX_IDENTIFIER_LENGTH, False),
    "app_version": (64, False),
}
# Optional fields where an empty string is a client bug worth a 400, not "absent".
NON_EMPTY_FIELDS = {"user_id", "email", "user_hash", "user_jwt"}

MISSING_USER_HASH = "missing_user_hash"
INVALID_USER_HASH = "invalid_user_hash"
HMAC_NOT_ALLOWED = "hmac_not_allowed"
UNTRUSTED_DOMAIN = "untrusted_domain"
UNKNOWN_APP = "unknown_app"
BAD_REQUEST = "bad_request"
INVALID_ORIGIN = "invalid_origin"
DUPLICATE_KEY = "duplicate_key"
APP_VERSION_BELOW_MINIMUM = "app_version_below_minimum"
# Malformed input refused with a 400 of its own code (not bad_request, which names fields).
INPUT_ERRORS = (DUPLICATE_KEY, INVALID_ORIGIN)
# Warnings about the platform's policy, sent beside a proof failure's own warning.
POLICY_WARNINGS = (APP_VERSION_BELOW_MINIMUM,)

MESSAGES = {
    MISSING_USER_HASH: (
        "This request identifies a user (user_id or email) but carries no user_hash or "
        "user_jwt. Generate a user_hash (or a JWT) on your server for every logged-in user "
        "and send it with the identifier."
    ),
    INVALID_USER_HASH: (
        "The user_hash does not match. It must be the hex HMAC-SHA256 of the user_id (or "
        "the email when no user_id is sent), keyed with this platform's identity "
        "verification secret. Use the hash checker in the console to find out why."
    ),
    HMAC_NOT_ALLOWED: (
        "This platform no longer accepts user_hash proofs. Send a user_jwt signed with "
        "your messenger key instead."
    ),
    tokens.JWT_MALFORMED: (
        "The user_jwt is not a well-formed JSON Web Token (three base64url parts with a "
        "JSON header and payload, numeric exp/nbf/iat)."
    ),
    tokens.JWT_BAD_ALGORITHM: (
        "The user_jwt must be signed with HS256 and a messenger key, or with ES256, EdDSA or "
        "RS256 and the private key of a public key registered in this workspace; its alg is "
        "none of the algorithms this workspace's keys allow."
    ),
    tokens.JWT_ALGORITHM_NOT_ALLOWED: (
        "The user_jwt's kid names a key pinned to another algorithm than the token's alg. "
        "Each key verifies one algorithm only: sign with the algorithm the key was "
        "registered for."
    ),
    tokens.JWT_KID_REQUIRED: (
        "The user_jwt is signed with a public-key algorithm but has no kid, and this "
        "workspace has more than one key. Put the kid of the registered public key in the "
        "token's header."
    ),
    tokens.JWT_EMBEDDED_KEY: (
        "The user_jwt's header carries or points at a key (jwk, jku, x5u or x5c). Keys are "
        "registered in the console, never taken from the token: leave those headers out."
    ),
    tokens.JWT_UNKNOWN_KEY: (
        "The user_jwt's kid names no valid messenger key of this workspace (unknown, "
        "revoked, or past its grace period). Sign with the current key."
    ),
    tokens.JWT_INVALID_SIGNATURE: (
        "The user_jwt's signature does not verify with any valid messenger key of this "
        "workspace. Sign it with the current messenger key (not the identity secret)."
    ),
    tokens.JWT_EXPIRED: "The user_jwt has expired (exp is in the past). Send a fresh token.",
    tokens.JWT_NOT_YET_VALID: (
        "The user_jwt is not valid yet (nbf or iat is in the future). Check your server's clock."
    ),
    tokens.JWT_MISSING_USER_ID: "The user_jwt must carry a non-empty string user_id claim.",
    tokens.JWT_USER_MISMATCH: (
        "The user_id or email in the request differs from the one inside the user_jwt (an "
        "email in the request needs the same email claim in the token). Send the same "
        "values, or leave them out of the request."
    ),
    UNTRUSTED_DOMAIN: (
        "This page's origin is not on the workspace's trusted-domain list. Add it in the "
        "console if it is yours."
    ),
    UNKNOWN_APP: "No workspace has this app_id. Copy the app_id from your console.",
    DUPLICATE_KEY: (
        "The body repeats a key. Send each field once: JSON parsers disagree on which "
        "copy counts, so the gateway accepts neither."
    ),
    APP_VERSION_BELOW_MINIMUM: (
        "This platform enforces identity verification from a minimum app version on, and "
        "this app_version is older: its request is served without a valid proof only until "
        "the sunset date (sunset_at, null when none is set), then refused like the rest. "
        "Ship a version that sends a user_hash or user_jwt."
    ),
    INVALID_ORIGIN: (
        f"The Origin header is not a URL origin (scheme://host[:port], at most "
        f"{MAX_ORIGIN_LENGTH} characters). Browsers set it themselves: do not set it by hand."
    ),
}


class BadPing(ValueError):
    """A body that is not a valid ping; ``fields`` says what is wrong with which field,
    ``code`` is bad_request or one of INPUT_ERRORS."""

    def __init__(self, message, fields=None, code=BAD_REQUEST):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.code = code

    def decision(self):
        if self.code == BAD_REQUEST:
            return bad_request(self.message, self.fields)
        return refused_input(self.code)


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs):
    data = dict(pairs)
    if len(data) != len(pairs):
        raise _DuplicateKey
    return data


# One decoder, built once: json.loads(body, object_pairs_hook=...) would build a decoder
# per call (~2.4 µs a ping, measured); reusing this one costs ~0.3 µs over plain loads.
_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys)


@dataclass(frozen=True)
class Ping:
    app_id: str
    platform: str
    user_id: str | None = None
    email: str | None = None
    user_hash: str | None = None
    user_jwt: str | None = None
    app_bundle: str | None = None
    app_version: str | None = None


def parse_ping(body):
    """A Ping from raw body bytes; raises BadPing with per-field messages, or with
    duplicate_key when an object repeats a key (anywhere in the body)."""
    try:
        if isinstance(body, bytes | bytearray):  # as json.loads decodes bytes
            body = body.decode(json.detect_encoding(body), "surrogatepass")
        data = _DECODER.decode(body)
    except _DuplicateKey:
        raise BadPing(MESSAGES[DUPLICATE_KEY], code=DUPLICATE_KEY) from None
    except (ValueError, RecursionError):
        raise BadPing("The body must be a JSON object.") from None
    if not isinstance(data, dict):
        raise BadPing("The body must be a JSON object.")
    values, errors = {}, {}
    for name, (max_length, required) in PING_FIELDS.items():
        value = data.get(name)
        if value is None:
            if required:
                errors[name] = "This field is required."
            continue
        if not isinstance(value, str):
            errors[name] = "Must be a string."
            continue
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            errors[name] = "Must be valid Unicode text."
            continue
        if "\x00" in value:
            # PostgreSQL text cannot hold NUL; no real identifier contains one.
            errors[name] = "Must not contain NUL characters."
            continue
        if len(value) > max_length:
            errors[name] = f"At most {max_length} characters."
            continue
        if value == "":
            if required or name in NON_EMPTY_FIELDS:
                errors[name] = "Must not be empty; leave the field out instead."
            continue
        values[name] = value
    if "platform" in values and values["platform"] not in PLATFORMS:
        errors["platform"] = f"Must be one of {', '.join(PLATFORMS)}."
    if errors:
        raise BadPing("Some fields are invalid.", errors)
    return Ping(**values)


@dataclass(frozen=True)
class SecretCandidate:
    reference: str
    secret: str
    valid_until: datetime | None = None

    def usable_at(self, now):
        return self.valid_until is None or self.valid_until > now


@dataclass(frozen=True)
class VersionPolicy:
    """Enforcement by app version: versions below ``minimum`` are served with a warning
    until ``sunset_at`` (never, when None); a version that does not parse is enforced."""

    minimum: str
    sunset_at: datetime | None = None
    minimum_key: tuple = field(init=False, repr=False, compare=False)
    # As the API writes it (2027-03-01T00:00:00Z), made once per snapshot.
    sunset_text: str | None = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        key = versions.parse(self.minimum)
        if key is None:
            raise ValueError(f"not a version: {self.minimum!r}")
        object.__setattr__(self, "minimum_key", key)
        sunset = self.sunset_at
        text = None
        if sunset is not None:
            text = sunset.astimezone(UTC).isoformat().replace("+00:00", "Z")
        object.__setattr__(self, "sunset_text", text)

    def spares(self, app_version, now):
        """Whether an unproven request from ``app_version`` is served rather than refused."""
        if self.sunset_at is not None and now >= self.sunset_at:
            return False
        return versions.is_below(app_version, self.minimum_key)


@dataclass(frozen=True)
class PlatformConfig:
    enforced: bool = False
    hmac_allowed: bool = True
    secrets: tuple[SecretCandidate, ...] = ()
    # None: every version is enforced (when the platform enforces), as before issue 19.
    version_policy: VersionPolicy | None = None


@dataclass(frozen=True)
class WorkspaceConfig:
    """Everything the gateway needs to decide for one workspace, decrypted."""

    workspace_id: int
    app_id: str
    platforms: Mapping[str, PlatformConfig]
    jwt_keys: tuple[tokens.KeyCandidate, ...] = ()
    trusted_domains: tuple[str, ...] = ()
    version: int = 0
    # Called only to diagnose an invalid_user_hash (security.gateway_diagnosis):
    # returns the retired and twin secrets, loaded once per snapshot on first failure, so
    # the success path never pays for them.
    diagnosis_extras: Callable[[], object] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Decision:
    status: int
    outcome: str
    code: str | None = None
    proof: str | None = None
    method: str | None = None
    identifier: str | None = None
    headers: dict = field(default_factory=dict)
    fields: dict = field(default_factory=dict)
    message: str | None = None
    # Set only when an enforced platform's version policy spared this request.
    version_policy: VersionPolicy | None = None

    @property
    def identified(self):
        return self.outcome in (VERIFIED, UNVERIFIED, REJECTED)

    def body(self):
        if self.outcome == UNVERIFIED:
            body = {"identity": UNVERIFIED, "warning": self.code, "message": self.message}
            if self.version_policy is not None:
                body["policy_warning"] = APP_VERSION_BELOW_MINIMUM
                body["policy_message"] = MESSAGES[APP_VERSION_BELOW_MINIMUM]
                body["enforce_from_version"] = self.version_policy.minimum
                body["sunset_at"] = self.version_policy.sunset_text
            return body
        if self.code is None:
            return {"identity": self.outcome}
        body = {"error": self.code, "message": self.message}
        if self.outcome == BAD_REQUEST:
            body["fields"] = self.fields
        return body


def bad_request(message, fields=None, status=400):
    return Decision(
        status=status, outcome=BAD_REQUEST, code=BAD_REQUEST, message=message, fields=fields or {}
    )


def refused_input(code):
    """A 400 for malformed input other than the body's fields (INPUT_ERRORS)."""
    return Decision(status=400, outcome=code, code=code, message=MESSAGES[code])


def unknown_app():
    return Decision(
        status=404, outcome=UNKNOWN_APP, code=UNKNOWN_APP, message=MESSAGES[UNKNOWN_APP]
    )


def _failure(code, platform_config, identifier, method, ping, now):
    message = MESSAGES[code]
    if not platform_config.enforced:
        return Decision(
            200, UNVERIFIED, code=code, identifier=identifier, method=method, message=message
        )
    policy = platform_config.version_policy
    if policy is not None and policy.spares(ping.app_version, now):
        return Decision(
            200,
            UNVERIFIED,
            code=code,
            identifier=identifier,
            method=method,
            message=message,
            version_policy=policy,
        )
    if code == MISSING_USER_HASH:
        return Decision(403, REJECTED, code=code, identifier=identifier, message=message)
    challenge = f'Verity realm="messenger", error="{code}"'
    return Decision(
        401,
        REJECTED,
        code=code,
        identifier=identifier,
        method=method,
        message=message,
        headers={"WWW-Authenticate": challenge},
    )


def _body_matches_token(ping, claims):
    """Every identifier the body carries is the token's own: a user_id equal to its user_id
    claim, an email equal to its email claim. An email the token does not carry is proven
    by nothing, so it does not match either."""
    if ping.user_id is not None and ping.user_id != claims["user_id"]:
        return False
    return ping.email is None or ping.email == claims.get("email")


def decide(ping, config, origin_host, now):
    """Steps 3-7 of the decision table; the caller has done 1 (parse) and 2 (lookup)."""
    if (
        ping.platform == "web"
        and config.trusted_domains
        and not host_matches(origin_host, config.trusted_domains)
    ):
        return Decision(
            403, UNTRUSTED_DOMAIN, code=UNTRUSTED_DOMAIN, message=MESSAGES[UNTRUSTED_DOMAIN]
        )
    platform = config.platforms[ping.platform]
    _, identifier = hashing.identifier_for(ping.user_id, ping.email)
    if identifier is None and ping.user_jwt is None:
        return Decision(200, VISITOR)

    if ping.user_jwt is not None:
        result = tokens.verify(ping.user_jwt, config.jwt_keys, now)
        if result.ok and not _body_matches_token(ping, result.claims):
            result = tokens.TokenResult(code=tokens.JWT_USER_MISMATCH, kid=result.kid)
        shown = result.claims["user_id"] if result.ok else identifier
        if result.ok:
            return Decision(
                200, VERIFIED, proof=jwt_reference(result.kid), method="jwt", identifier=shown
            )
        return _failure(result.code, platform, shown, "jwt", ping, now)

    if ping.user_hash is not None:
        if not platform.hmac_allowed:
            return _failure(HMAC_NOT_ALLOWED, platform, identifier, "hmac", ping, now)
        usable = [(s.reference, s.secret) for s in platform.secrets if s.usable_at(now)]
        reference = hashing.matching_secret(usable, identifier, ping.user_hash)
        if reference is not None:
            return Decision(200, VERIFIED, proof=reference, method="hmac", identifier=identifier)
        return _failure(INVALID_USER_HASH, platform, identifier, "hmac", ping, now)

    return _failure(MISSING_USER_HASH, platform, identifier, None, ping, now)
