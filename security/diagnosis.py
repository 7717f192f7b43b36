"""Why a user_hash does not match: pure diagnosis on plain values (SPEC §4).

Given what a developer sent (platform, user_id, email, user_hash) and the secrets a hash
could plausibly have been made with, ``diagnose`` says which identifier counts and why,
the expected hash, whether the given hash matches, and, on a mismatch, the findings:
stable codes with a sentence that tells the developer what to change.

The search is a small grid: every candidate key (this platform's current secret, the
other platforms' secrets, the twin workspace's, retired versions, the messenger JWT keys)
times every identifier variant (the email instead of the user_id, other letter cases,
whitespace around it), plus plain SHA-256 of each variant. The first hit in order of
likelihood names the causes; combinations (the email, hashed with the iOS secret) give
one finding per cause. Every candidate is computed and compared in constant time.
"""

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass, field

from .hashing import HEX64, identifier_for, user_hash

EMAIL_HASHED_INSTEAD_OF_USER_ID = "email_hashed_instead_of_user_id"
OTHER_PLATFORM_SECRET = "other_platform_secret"
TWIN_WORKSPACE_SECRET = "twin_workspace_secret"
PREVIOUS_SECRET = "previous_secret"
JWT_KEY_USED = "jwt_key_used"
IDENTIFIER_CASE = "identifier_case"
SURROUNDING_WHITESPACE = "surrounding_whitespace"
PLAIN_SHA256 = "plain_sha256"
MALFORMED_HASH = "malformed_hash"
IDENTIFIER_MISSING = "identifier_missing"
NO_KNOWN_CAUSE = "no_known_cause"

CODES = (
    EMAIL_HASHED_INSTEAD_OF_USER_ID,
    OTHER_PLATFORM_SECRET,
    TWIN_WORKSPACE_SECRET,
    PREVIOUS_SECRET,
    JWT_KEY_USED,
    IDENTIFIER_CASE,
    SURROUNDING_WHITESPACE,
    PLAIN_SHA256,
    MALFORMED_HASH,
    IDENTIFIER_MISSING,
    NO_KNOWN_CAUSE,
)

PLATFORM_LABELS = {"web": "Web", "ios": "iOS", "android": "Android"}
# Whitespace a server typically adds by accident: a trailing newline read from a file or
# a template, a space from string concatenation.
_PADDINGS = ("\n", "\r\n", " ")


@dataclass(frozen=True)
class Candidates:
    """The secrets of one check. Secrets are plaintext strings, used as UTF-8 keys."""

    current: str | None = None
    current_version: int | None = None
    other_platforms: tuple[tuple[str, str], ...] = ()  # (platform, secret)
    twin_name: str = ""  # "[TEST] Acme" (the linked workspace's display name)
    twin_app_id: str = ""
    twin_secrets: tuple[tuple[str, str], ...] = ()  # (platform, secret)
    retired: tuple[tuple[int, str], ...] = ()  # (version, secret)
    jwt_keys: tuple[tuple[str, str], ...] = ()  # (kid, key)


@dataclass(frozen=True)
class Finding:
    code: str
    message: str

    def as_dict(self):
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class Diagnosis:
    identifier_type: str | None
    identifier_reason: str
    expected_hash: str | None
    match: bool | None  # None when no hash was given
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def codes(self):
        return [f.code for f in self.findings]

    def findings_as_dicts(self):
        return [f.as_dict() for f in self.findings]


def _platform(name):
    return PLATFORM_LABELS.get(name, name)


def _quote(value, limit=60):
    shown = value if len(value) <= limit else value[:limit] + "…"
    return repr(shown) if shown != shown.strip() or not shown else f'"{shown}"'


def identifier_reason(user_id, email):
    if user_id is not None and email is not None:
        return (
            "The user_id is used because the request carries one; when a user_id is "
            "present the email is not part of the hash."
        )
    if user_id is not None:
        return "The user_id is used because the request carries one."
    if email is not None:
        return "The email is used because the request carries no user_id."
    return "The request carries neither a user_id nor an email, so there is nothing to hash."


def _keys(platform, candidates):
    """(finding or None, key) pairs in order of likelihood; the current secret first."""
    keys = []
    if candidates.current is not None:
        keys.append((None, candidates.current))
    this = _platform(platform)
    current_v = f"v{candidates.current_version}" if candidates.current_version else "current"
    for version, secret in sorted(candidates.retired, reverse=True):
        keys.append(
            (
                Finding(
                    PREVIOUS_SECRET,
                    f"The hash was made with the previous {this} secret (v{version}), which "
                    f"a rotation replaced. Update your server to the current {this} secret "
                    f"({current_v}) from the Security page.",
                ),
                secret,
            )
        )
    for other, secret in candidates.other_platforms:
        keys.append(
            (
                Finding(
                    OTHER_PLATFORM_SECRET,
                    f"The hash was made with the {_platform(other)} secret, but this request "
                    f"is for {this}. Each platform has its own secret: sign {this} requests "
                    f"with the {this} secret.",
                ),
                secret,
            )
        )
    twin = candidates.twin_name or "the linked workspace"
    where = f" (app_id {candidates.twin_app_id})" if candidates.twin_app_id else ""
    for other, secret in candidates.twin_secrets:
        same = other == platform
        which = f"{this} secret" if same else f"{_platform(other)} secret"
        keys.append(
            (
                Finding(
                    TWIN_WORKSPACE_SECRET,
                    f"The hash was made with the {which} of {twin}{where}, the linked "
                    f"test/production workspace. Test and production workspaces have "
                    f"different secrets: use this workspace's {this} secret in this "
                    f"environment.",
                ),
                secret,
            )
        )
    for kid, key in candidates.jwt_keys:
        keys.append(
            (
                Finding(
                    JWT_KEY_USED,
                    f"The hash was made with the messenger JWT key {kid} instead of the "
                    f"{this} identity verification secret. A user_hash is keyed with the "
                    f"identity secret; the messenger key only signs JWTs (send those as "
                    f"user_jwt).",
                ),
                key,
            )
        )
    return keys


def _identifiers(user_id, email, identifier):
    """(findings, identifier variant) pairs; the identifier as sent first."""
    bases = [((), identifier)]
    if user_id is not None and email is not None and email != user_id:
        bases.append(
            (
                (
                    Finding(
                        EMAIL_HASHED_INSTEAD_OF_USER_ID,
                        "The hash was made from the email, but the request also carries a "
                        "user_id, and then the user_id is what must be hashed. Hash the "
                        "user_id, or leave the user_id out of the request.",
                    ),
                ),
                email,
            )
        )
    variants, seen = [], set()

    def add(findings, value):
        if value not in seen:
            seen.add(value)
            variants.append((findings, value))

    for findings, value in bases:
        add(findings, value)
    for findings, value in bases:
        for folded, how in ((value.lower(), "lower case"), (value.upper(), "upper case")):
            if folded != value:
                message = (
                    f"The identifier was hashed in {how} ({_quote(folded)}) but sent as "
                    f"{_quote(value)}. Identifiers are used exactly as sent: hash the same "
                    f"string you send, without changing its case."
                )
                add((*findings, Finding(IDENTIFIER_CASE, message)), folded)
    for findings, value in bases:
        stripped = value.strip()
        if stripped != value:
            message = (
                f"The identifier is sent with whitespace around it ({_quote(value)}) but "
                f"was hashed without it. Send exactly the string you hash (trim it before "
                f"both, or neither)."
            )
            add((*findings, Finding(SURROUNDING_WHITESPACE, message)), stripped)
        for padded in [value + p for p in _PADDINGS] + [" " + value]:
            message = (
                f"The identifier was hashed with whitespace around it ({_quote(padded)}), "
                f"for example a trailing newline. Hash exactly the identifier you send, "
                f"with no spaces or line breaks around it."
            )
            add((*findings, Finding(SURROUNDING_WHITESPACE, message)), padded)
    return variants


def _malformed(given):
    detail = f"this one has {len(given)} characters"
    bad = sorted({c for c in given if c not in "0123456789abcdefABCDEF"})
    if len(given) == 64 and bad:
        detail = f"this one contains {', '.join(_quote(c) for c in bad[:5])}"
    hint = ""
    try:
        raw = base64.b64decode(given.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raw = b""
    if len(raw) == 32:
        hint = " It looks like base64: use the hex digest (hexdigest), not base64."
    return Finding(
        MALFORMED_HASH,
        # hashing.HEX64: either case is accepted (hash_matches compares lowercased).
        "The user_hash must be the HMAC-SHA256 hex digest: 64 characters, 0-9 and a-f "
        "(upper or lower case); "
        f"{detail}.{hint}",
    )


def _whitespace_around_hash():
    return Finding(
        SURROUNDING_WHITESPACE,
        "The user_hash has spaces or line breaks around it. Send the 64 hex characters "
        "only (strip the value on your server).",
    )


def _no_known_cause(platform):
    this = _platform(platform)
    return Finding(
        NO_KNOWN_CAUSE,
        f"The hash matches none of the usual mistakes (another platform's, the twin "
        f"workspace's or a previous secret, the JWT key, the email instead of the user_id, "
        f"letter case, whitespace, plain SHA-256). Copy the current {this} secret from "
        f"the Security page again and make sure your server hashes exactly the identifier "
        f"it sends, as UTF-8, with HMAC-SHA256.",
    )


def diagnose(platform, user_id, email, given_hash, candidates):
    """The Diagnosis of one check (``given_hash`` may be None: expected hash only)."""
    identifier_type, identifier = identifier_for(user_id, email)
    reason = identifier_reason(user_id, email)
    expected = None
    if identifier is not None and candidates.current is not None:
        expected = user_hash(candidates.current, identifier)
    if given_hash is None:
        return Diagnosis(identifier_type, reason, expected, None)
    if identifier is None:
        finding = Finding(
            IDENTIFIER_MISSING,
            "A user_hash was sent without the identifier it was made from. Send the user_id "
            "(or, without a user_id, the email) together with the user_hash.",
        )
        return Diagnosis(identifier_type, reason, None, False, (finding,))

    findings = []
    stripped = given_hash.strip()
    if stripped != given_hash:
        findings.append(_whitespace_around_hash())
    if HEX64.fullmatch(stripped) is None:
        findings.append(_malformed(stripped))
        return Diagnosis(identifier_type, reason, expected, False, tuple(findings))
    wanted = stripped.lower()
    exact = stripped == given_hash and expected is not None
    match = exact and hmac.compare_digest(expected, wanted)
    if match:
        return Diagnosis(identifier_type, reason, expected, True)
    findings.extend(_explain(platform, user_id, email, identifier, wanted, candidates))
    return Diagnosis(identifier_type, reason, expected, False, tuple(findings))


def _explain(platform, user_id, email, identifier, wanted, candidates):
    """The findings of the most likely way ``wanted`` was made, or no_known_cause."""
    found = None
    variants = _identifiers(user_id, email, identifier)
    keys = [(finding, key.encode("utf-8")) for finding, key in _keys(platform, candidates)]
    for id_findings, value in variants:
        message = value.encode("utf-8")
        for key_finding, key in keys:
            made = hmac.new(key, message, hashlib.sha256).hexdigest()
            if hmac.compare_digest(made, wanted) and found is None:
                found = (*id_findings, *((key_finding,) if key_finding else ()))
        made = hashlib.sha256(message).hexdigest()
        if hmac.compare_digest(made, wanted) and found is None:
            found = (
                *id_findings,
                Finding(
                    PLAIN_SHA256,
                    "The hash is a plain SHA-256 of the identifier, without the secret. Use "
                    "HMAC-SHA256 keyed with this platform's identity verification secret.",
                ),
            )
    # ``found`` is () when the hash is right and only whitespace around it was wrong.
    if found is None:
        return [_no_known_cause(platform)]
    return list(found)
