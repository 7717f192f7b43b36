"""The messenger gateway's rules (SPEC §3): parse a ping, decide its fate.

Plain values in, plain values out; ``decide`` keeps the decisions of pings without a
token (``_DECIDED``), each the one it would make again. The HTTP endpoint
(installcheck.ping) reads the body and the Origin, fetches a WorkspaceConfig snapshot,
calls ``decide``, counts the outcome and renders ``Decision.body``.
"""

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from workspaces.domains import host_matches

from . import hashing, tokens
from .gateway_codes import (
    APP_VERSION_BELOW_MINIMUM,
    BAD_REQUEST,
    DUPLICATE_KEY,
    HMAC_NOT_ALLOWED,
    INVALID_USER_HASH,
    MESSAGES,
    MISSING_USER_HASH,
    UNKNOWN_APP,
    UNTRUSTED_DOMAIN,
)
from .gateway_config import (  # noqa: F401  (re-exported: the rules and their callers read them here)
    PlatformConfig,
    SecretCandidate,
    VersionPolicy,
    WorkspaceConfig,
)
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
# parse_ping calls its C scanner as JSONDecoder.decode does, without decode's two frames:
# whitespace, one value, whitespace, and nothing after it.
_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys)
_SCAN = _DECODER.scan_once
_SPACE = json.decoder.WHITESPACE.match


class Ping(NamedTuple):
    """A parsed ping. A NamedTuple, not a frozen dataclass: built on every request, for
    about a quarter of the dataclass's cost (BENCHMARKS.md)."""

    app_id: str
    platform: str
    user_id: str | None = None
    email: str | None = None
    user_hash: str | None = None
    user_jwt: str | None = None
    app_bundle: str | None = None
    app_version: str | None = None


REQUIRED_FIELDS = tuple(name for name, (_, required) in PING_FIELDS.items() if required)
# First bytes after which json.detect_encoding can only answer UTF-8: no BOM, no NUL.
_NOT_PLAIN = (b"\x00", b"\xef", b"\xfe", b"\xff")


def _text(body):
    """The body as text, decoded as json.loads decodes bytes."""
    if body[:1] in _NOT_PLAIN or body[1:2] == b"\x00" or len(body) < 2:
        return body.decode(json.detect_encoding(body), "surrogatepass")
    return body.decode("utf-8", "surrogatepass")


def _field_error(name, value, max_length):
    """What is wrong with a present, non-null field, or None."""
    if not isinstance(value, str):
        return "Must be a string."
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "Must be valid Unicode text."
    if "\x00" in value:
        # PostgreSQL text cannot hold NUL; no real identifier contains one.
        return "Must not contain NUL characters."
    if len(value) > max_length:
        return f"At most {max_length} characters."
    if value == "" and (name in REQUIRED_FIELDS or name in NON_EMPTY_FIELDS):
        return "Must not be empty; leave the field out instead."
    return None


def parse_ping(body):
    """A Ping from raw body bytes; raises BadPing with per-field messages, or with
    duplicate_key when an object repeats a key (anywhere in the body)."""
    try:
        if isinstance(body, bytes | bytearray):  # as json.loads decodes bytes
            body = _text(body)
        data, end = _SCAN(body, _SPACE(body, 0).end())
    except _DuplicateKey:
        raise BadPing(MESSAGES[DUPLICATE_KEY], code=DUPLICATE_KEY) from None
    except (ValueError, RecursionError, StopIteration):  # StopIteration: no value at all
        raise BadPing("The body must be a JSON object.") from None
    if _SPACE(body, end).end() != len(body) or not isinstance(data, dict):
        raise BadPing("The body must be a JSON object.")
    values, errors = {}, {}
    for name, value in data.items():  # only the ping's own fields; others are ignored
        spec = PING_FIELDS.get(name)
        if spec is None or value is None:
            continue
        # The common case first: short ASCII text without NUL is valid for every field.
        if (
            type(value) is str
            and 0 < len(value) <= spec[0]
            and value.isascii()
            and "\x00" not in value
        ):
            values[name] = value
            continue
        problem = _field_error(name, value, spec[0])
        if problem is not None:
            errors[name] = problem
        elif value != "":
            values[name] = value
    for name in REQUIRED_FIELDS:
        if name not in values and name not in errors:
            errors[name] = "This field is required."
    if "platform" in values and values["platform"] not in PLATFORMS:
        errors["platform"] = f"Must be one of {', '.join(PLATFORMS)}."
    if errors:
        # In the order of PING_FIELDS, whatever the body's order.
        errors = {name: errors[name] for name in PING_FIELDS if name in errors}
        raise BadPing("Some fields are invalid.", errors)
    return Ping(**values)


# The default of Decision.headers and .fields: empty, shared, and read-only.
_EMPTY = MappingProxyType({})


class Decision(NamedTuple):
    """The gateway's decision on one request. A NamedTuple (immutable, cheap to build on
    every request) whose ``headers`` and ``fields`` default to one read-only empty map."""

    status: int
    outcome: str
    code: str | None = None
    proof: str | None = None
    method: str | None = None
    identifier: str | None = None
    headers: Mapping = _EMPTY
    fields: Mapping = _EMPTY
    message: str | None = None
    # Set only when an enforced platform's version policy spared this request.
    version_policy: VersionPolicy | None = None
    # Set on a refusal by a platform that has a version policy: the answer names it, so a
    # client refused after the sunset (or at the minimum and later) sees why.
    refused_under: VersionPolicy | None = None

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
        if self.refused_under is not None:
            body["enforce_from_version"] = self.refused_under.minimum
            body["sunset_at"] = self.refused_under.sunset_text
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
        return Decision(
            403, REJECTED, code=code, identifier=identifier, message=message, refused_under=policy
        )
    challenge = f'Verity realm="messenger", error="{code}"'
    return Decision(
        401,
        REJECTED,
        code=code,
        identifier=identifier,
        method=method,
        message=message,
        headers={"WWW-Authenticate": challenge},
        refused_under=policy,
    )


def _body_matches_token(ping, claims):
    """Every identifier the body carries is the token's own: a user_id equal to its user_id
    claim, an email equal to its email claim. An email the token does not carry is proven
    by nothing, so it does not match either."""
    if ping.user_id is not None and ping.user_id != claims["user_id"]:
        return False
    return ping.email is None or ping.email == claims.get("email")


# The two decisions that carry nothing of the request: made once (they are frozen).
_UNTRUSTED = Decision(
    403, UNTRUSTED_DOMAIN, code=UNTRUSTED_DOMAIN, message=MESSAGES[UNTRUSTED_DOMAIN]
)
_VISITOR = Decision(200, VISITOR)


# Decisions already made, per (ping, Origin host): (the snapshot decided under, the
# decision, the moment it may change). A ping without a token is decided by the snapshot
# and by the clock only where a retired secret's grace or a version policy's sunset ends,
# so the decision kept is the one ``_decide`` would make again until then, under that same
# snapshot object (a changed workspace is a new snapshot). Tokens carry their own times:
# never kept here (security.tokens keeps its own verifications). Bounded: emptied when full.
_DECIDED = {}
_MAX_DECIDED = 4096


def _next_change(platform, now):
    """The first moment after ``now`` at which a decision under ``platform`` may differ."""
    moments = [s.valid_until for s in platform.secrets if s.valid_until is not None]
    policy = platform.version_policy
    if policy is not None and policy.sunset_at is not None:
        moments.append(policy.sunset_at)
    return min((m for m in moments if m > now), default=None)


def decide(ping, config, origin_host, now):
    """Steps 3-7 of the decision table; the caller has done 1 (parse) and 2 (lookup)."""
    if ping.user_jwt is not None:
        return _decide(ping, config, origin_host, now)
    key = (ping, origin_host)
    kept = _DECIDED.get(key)
    if kept is not None and kept[0] is config and (kept[2] is None or now < kept[2]):
        return kept[1]
    decision = _decide(ping, config, origin_host, now)
    if len(_DECIDED) >= _MAX_DECIDED:
        _DECIDED.clear()
    platform = config.platforms.get(ping.platform)
    _DECIDED[key] = (config, decision, platform and _next_change(platform, now))
    return decision


def _decide(ping, config, origin_host, now):
    if (
        ping.platform == "web"
        and config.trusted_domains
        and not host_matches(origin_host, config.trusted_domains)
    ):
        return _UNTRUSTED
    platform = config.platforms[ping.platform]
    _, identifier = hashing.identifier_for(ping.user_id, ping.email)
    if identifier is None and ping.user_jwt is None:
        return _VISITOR

    if ping.user_jwt is not None:
        result = tokens.verify(ping.user_jwt, config.jwt_keys, now)
        if result.ok and not _body_matches_token(ping, result.claims):
            result = tokens.TokenResult(code=tokens.JWT_USER_MISMATCH, kid=result.kid)
        shown = result.claims["user_id"] if result.ok else identifier
        if result.ok:
            return Decision(
                200,
                VERIFIED,
                proof=jwt_reference(result.source or result.kid),
                method="jwt",
                identifier=shown,
            )
        return _failure(result.code, platform, shown, "jwt", ping, now)

    if ping.user_hash is not None:
        if not platform.hmac_allowed:
            return _failure(HMAC_NOT_ALLOWED, platform, identifier, "hmac", ping, now)
        usable = [(s.reference, s.mac) for s in platform.secrets if s.usable_at(now)]
        reference = hashing.matching_secret(usable, identifier, ping.user_hash)
        if reference is not None:
            return Decision(200, VERIFIED, proof=reference, method="hmac", identifier=identifier)
        return _failure(INVALID_USER_HASH, platform, identifier, "hmac", ping, now)

    return _failure(MISSING_USER_HASH, platform, identifier, None, ping, now)
