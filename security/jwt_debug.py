"""The token debugger's rules: explain a messenger JWT, every problem by a stable code.

Pure: a token, the workspace's keys (with their states), the platforms' identity
secrets and ``now`` in; a ``DebugResult`` out. The gateway's own verdict comes from
``security.tokens.verify``; the finer findings (which key, revoked or past its grace,
the identity secret used by mistake) come from checking the signature against each
known key with PyJWT. Key material never leaves this module: the result names keys by
kid only.
"""

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import jwt

from . import jwks_diagnosis, tokens

JWT_KEY_REVOKED = "jwt_key_revoked"
JWT_KEY_GRACE_ENDED = "jwt_key_grace_ended"
JWT_SIGNED_WITH_IDENTITY_SECRET = "jwt_signed_with_identity_secret"
JWT_USER_ID_NOT_STRING = "jwt_user_id_not_string"

# Key states, as MessengerKey.state() names them (ACTIVE: a registered public key).
CURRENT, GRACE, EXPIRED, REVOKED, ACTIVE = "current", "grace", "expired", "revoked", "active"
USABLE_STATES = (CURRENT, GRACE, ACTIVE)
TIME_CLAIMS = tokens.TIME_CLAIMS
# jwt_malformed, when the token is well formed but for its time claims' types.
TIMES_NOT_NUMBERS = (
    "{claims} must be a JSON number of seconds since 1970 (e.g. 1767225600), not {shown}: "
    "the gateway refuses the token as malformed (RFC 7519 NumericDate)."
)

MESSAGES = {
    tokens.JWT_MALFORMED: (
        "The token is not a well-formed JSON Web Token: it needs three base64url parts "
        "separated by dots, with a JSON object as header and as payload."
    ),
    tokens.JWT_BAD_ALGORITHM: (
        "The header's alg is {alg}; this workspace's keys allow {allowed}. Sign with HS256 "
        "and your messenger key, or with the private key of a public key registered for "
        "that algorithm."
    ),
    tokens.JWT_ALGORITHM_NOT_ALLOWED: (
        "The header's alg is {alg}, but key {kid} is pinned to {key_alg}: each key verifies "
        "one algorithm only. Sign with {key_alg}, or name the kid of a key registered for {alg}."
    ),
    tokens.JWT_KID_REQUIRED: (
        "The token is signed with {alg} but has no kid, and this workspace has more than one "
        "key. Put the kid of the registered public key in the header."
    ),
    tokens.JWT_EMBEDDED_KEY: (
        "The header carries or points at a key ({names}). The gateway never takes a key from "
        "the token: leave those headers out; keys are registered on the JWT keys page."
    ),
    tokens.JWT_UNKNOWN_KEY: (
        "The header's kid {kid} names no messenger key of this workspace. Use the kid of the "
        "current key shown on the JWT keys page, or leave kid out."
    ),
    tokens.JWT_INVALID_SIGNATURE: (
        "The signature does not verify with any messenger key of this workspace. Sign the "
        "token on your server with the current messenger key."
    ),
    tokens.JWT_EXPIRED: "The token expired {when} (exp {iso}). Send a freshly signed token.",
    tokens.JWT_NOT_YET_VALID: (
        "The token's {claim} is {when} ({iso}), in the future for this server: the token is "
        "not valid yet. Check the clock of the server that signs it."
    ),
    tokens.JWT_MISSING_USER_ID: (
        "The payload has no user_id claim (or an empty one). Put the user's id in user_id."
    ),
    JWT_USER_ID_NOT_STRING: (
        'user_id is a {type}, not a string. Send it as a JSON string, e.g. "42" not 42.'
    ),
    JWT_KEY_REVOKED: (
        "The token is signed with key {kid}, which was revoked: the gateway refuses it. Sign "
        "with the current messenger key."
    ),
    JWT_KEY_GRACE_ENDED: (
        "The token is signed with key {kid}, a previous key whose grace period ended {when}. "
        "Deploy the current messenger key to your server."
    ),
    JWT_SIGNED_WITH_IDENTITY_SECRET: (
        "The token is signed with the {platform} identity verification secret (the user_hash "
        "secret), not with a messenger key. Sign JWTs with the messenger key."
    ),
}


@dataclass(frozen=True)
class DebugKey:
    """A messenger key of the workspace as the debugger sees it."""

    kid: str
    key: str  # the HS256 secret, or a public key's PEM
    state: str
    valid_until: datetime | None = None
    revoked_at: datetime | None = None
    algorithm: str = tokens.ALGORITHM
    source: str | None = None  # the kid of the JWKS source it was fetched from, if any


@dataclass
class DebugResult:
    header: dict | None = None
    payload: dict | None = None
    valid: bool = False
    # A key of the workspace (in any state) made the signature: the header and payload are
    # authentic even when the token is refused (expired, not yet valid, a revoked key...).
    signature_verified: bool = False
    errors: list = field(default_factory=list)
    times: dict = field(default_factory=dict)
    key: dict | None = None
    gateway_code: str | None = None

    @property
    def codes(self):
        return [e["code"] for e in self.errors]

    def as_dict(self):
        return {
            "header": self.header,
            "payload": self.payload,
            # Nothing in the payload is trustworthy until the signature has verified.
            "payload_trusted": self.valid,
            "signature_verified": self.signature_verified,
            "valid": self.valid,
            "errors": self.errors,
            "times": self.times,
            "key": self.key,
            "gateway_code": self.gateway_code,
        }


def _segment(part):
    """A base64url JSON segment decoded for display, or None."""
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        value = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


def _span(seconds):
    seconds = abs(int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400 * 2:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} days"


def relative(moment, now, past="{} ago", future="in {}"):
    delta = (moment - now).total_seconds()
    return (future if delta > 0 else past).format(_span(delta))


def _signs(token, key, algorithm=tokens.ALGORITHM):
    """True if ``key`` made the ``algorithm`` signature of ``token``: an HS256 secret (a
    string, used as UTF-8) or a public key's PEM, pinned to its one algorithm."""
    material = key.encode("utf-8") if algorithm == tokens.ALGORITHM else key
    try:
        jwt.api_jws.PyJWS().decode_complete(token, material, algorithms=[algorithm])
    except (jwt.InvalidTokenError, ValueError, TypeError):
        return False
    return True


class _Findings:
    def __init__(self):
        self.errors = []

    def add(self, code, message=None, **values):
        if code not in (e["code"] for e in self.errors):
            message = message or MESSAGES[code].format(**values)
            self.errors.append({"code": code, "message": message})


def _shown(value, limit=40):
    text = json.dumps(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _times(payload, now, findings):
    """exp/nbf/iat as dates with relative text; adds expired/not-yet-valid findings."""
    times = {"server_time": _iso(now)}
    leeway = tokens.LEEWAY_SECONDS
    not_numbers = [
        claim
        for claim in TIME_CLAIMS
        if claim in payload and not tokens.numeric_dates({claim: payload[claim]})
    ]
    if not_numbers:
        shown = " or ".join(_shown(payload[claim]) for claim in not_numbers)
        findings.add(
            tokens.JWT_MALFORMED,
            message=TIMES_NOT_NUMBERS.format(claims=" and ".join(not_numbers), shown=shown),
        )
    for claim in TIME_CLAIMS:
        if claim not in payload:
            continue
        value = payload[claim]
        if claim in not_numbers:
            times[claim] = {"value": value, "error": f"{claim} must be a number of seconds."}
            continue
        try:
            moment = datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            findings.add(tokens.JWT_MALFORMED)
            times[claim] = {"value": value, "error": f"{claim} is out of range."}
            continue
        delta = (moment - now).total_seconds()
        entry = {"value": value, "iso": _iso(moment)}
        if claim == "exp":
            entry["text"] = relative(moment, now, "expired {} ago", "expires in {}")
            if delta < -leeway:
                findings.add(tokens.JWT_EXPIRED, when=relative(moment, now), iso=entry["iso"])
        else:
            label = "issued" if claim == "iat" else "valid from"
            entry["text"] = relative(moment, now, label + " {} ago", label + " in {}")
            if delta > leeway:
                findings.add(
                    tokens.JWT_NOT_YET_VALID,
                    claim=claim,
                    when=relative(moment, now),
                    iso=entry["iso"],
                )
        times[claim] = entry
    iat = times.get("iat")
    if isinstance(iat, dict) and "iso" in iat:
        # A freshly minted token's iat minus our clock is the signer's clock offset.
        skew = int(payload["iat"] - now.timestamp())
        times["skew_seconds"] = skew
        if abs(skew) <= leeway:
            times["skew_text"] = "The signer's clock agrees with the server's (within 30 s)."
        elif skew > 0:
            times["skew_text"] = f"iat is {_span(skew)} ahead of the server's clock."
        else:
            times["skew_text"] = (
                f"iat is {_span(skew)} behind the server's clock (an old token, or a slow "
                "clock on the signing server)."
            )
    return times


def _key_info(key, named_by):
    info = {"kid": key.kid, "state": key.state, "named_by": named_by}
    if key.valid_until is not None and key.state != CURRENT:
        info["valid_until"] = _iso(key.valid_until)
    if key.revoked_at is not None:
        info["revoked_at"] = _iso(key.revoked_at)
    return info


def _check_signer(token, header, keys, identity_secrets, now, findings):
    """Which key signed the token; adds key findings; returns (the ``key`` dict or None,
    whether that key made the signature)."""
    named = header.get("kid") if "kid" in header else None
    alg = header["alg"]
    if "kid" in header:
        matching = [k for k in keys if k.kid == named]
        if not matching:
            findings.add(tokens.JWT_UNKNOWN_KEY, kid=json.dumps(named))
            candidates = []
        elif matching[0].algorithm != alg:
            key = matching[0]
            findings.add(
                tokens.JWT_ALGORITHM_NOT_ALLOWED,
                alg=json.dumps(alg),
                kid=key.kid,
                key_alg=key.algorithm,
            )
            return _key_info(key, "kid"), False
        else:
            candidates = matching
    else:
        # Without a kid the gateway tries every usable key of the token's algorithm; we
        # try every known one so we can say when it was a revoked or expired one.
        candidates = sorted(
            (k for k in keys if k.algorithm == alg), key=lambda k: k.state not in USABLE_STATES
        )
    signer = next((k for k in candidates if _signs(token, k.key, alg)), None)
    if signer is not None:
        if signer.state == REVOKED:
            findings.add(JWT_KEY_REVOKED, kid=signer.kid)
        elif signer.state == EXPIRED:
            ended = relative(signer.valid_until, now) if signer.valid_until else "already"
            findings.add(JWT_KEY_GRACE_ENDED, kid=signer.kid, when=ended)
        return _key_info(signer, "kid" if "kid" in header else "signature"), True
    platform = None
    if alg == tokens.ALGORITHM:
        platform = next((p for p, secret in identity_secrets if _signs(token, secret)), None)
    if platform is not None:
        findings.add(JWT_SIGNED_WITH_IDENTITY_SECRET, platform=platform)
    elif candidates:
        findings.add(tokens.JWT_INVALID_SIGNATURE)
    if len(candidates) == 1 and "kid" in header:
        # The kid names a key of ours but that key did not make the signature.
        key = candidates[0]
        if key.state == REVOKED:
            findings.add(JWT_KEY_REVOKED, kid=key.kid)
        elif key.state == EXPIRED:
            ended = relative(key.valid_until, now) if key.valid_until else "already"
            findings.add(JWT_KEY_GRACE_ENDED, kid=key.kid, when=ended)
        return _key_info(key, "kid"), False
    return None, False


def debug(token, keys, identity_secrets, now, jwks_sources=()):
    """Explain ``token``.

    ``keys``: DebugKey of every messenger key of the workspace, any state (the keys of
    its JWKS URLs' last good sets included).
    ``identity_secrets``: (platform, secret) pairs of the current HMAC secrets.
    ``jwks_sources``: security.jwks.SourceState of its active JWKS URLs.
    """
    result = DebugResult()
    findings = _Findings()
    token = token.strip() if isinstance(token, str) else ""
    parts = token.split(".")
    if len(parts) == 3:
        result.header = _segment(parts[0])
        result.payload = _segment(parts[1])
    header = tokens.unverified_header(token)
    if header is None or result.payload is None:
        findings.add(tokens.JWT_MALFORMED)
        result.errors = findings.errors
        result.gateway_code = tokens.JWT_MALFORMED
        return result
    result.header = header
    alg = header.get("alg")
    allowed = [a for a in (tokens.ALGORITHM, *tokens.PUBLIC_KEY_ALGORITHMS) if a in _allowing(keys)]
    embedded = sorted(tokens.EMBEDDED_KEY_HEADERS.intersection(header))
    if embedded:
        findings.add(tokens.JWT_EMBEDDED_KEY, names=", ".join(embedded))
    if alg not in allowed:
        findings.add(tokens.JWT_BAD_ALGORITHM, alg=json.dumps(alg), allowed=", ".join(allowed))
    else:
        result.key, result.signature_verified = _check_signer(
            token, header, keys, identity_secrets, now, findings
        )
    payload = result.payload
    result.times = _times(payload, now, findings)
    user_id = payload.get("user_id")
    if user_id is None or user_id == "":
        findings.add(tokens.JWT_MISSING_USER_ID)
    elif not isinstance(user_id, str):
        findings.add(JWT_USER_ID_NOT_STRING, type=type(user_id).__name__)
    usable = [
        tokens.KeyCandidate(
            kid=k.kid,
            key=k.key,
            valid_until=None if k.state in (CURRENT, ACTIVE) else k.valid_until,
            algorithm=k.algorithm,
        )
        for k in keys
        if k.state in USABLE_STATES
    ]
    verdict = tokens.verify(token, usable, now)
    result.gateway_code = verdict.code
    if verdict.code is not None and not findings.errors:
        # The gateway refuses for a reason the finer checks did not name: say it plainly.
        findings.add(verdict.code, **_fallback_values(verdict.code, header))
    if verdict.code is not None:
        for finding in jwks_diagnosis.findings(verdict.code, header, keys, jwks_sources):
            findings.add(finding["code"], message=finding["message"])
    result.errors = findings.errors
    result.valid = not result.errors
    return result


def _allowing(keys):
    """The algorithms some key of the workspace (any state) is pinned to; HS256 always
    (the messenger keys Verity generates)."""
    return {tokens.ALGORITHM, *(k.algorithm for k in keys)}


def _fallback_values(code, header):
    return {
        "allowed": "",
        "key_alg": "",
        "names": "",
        "alg": json.dumps(header.get("alg")),
        "kid": json.dumps(header.get("kid")),
        "when": "",
        "iso": "",
        "claim": "nbf",
        "type": "",
    }
