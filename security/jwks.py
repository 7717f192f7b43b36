"""A JWKS document (RFC 7517 §5) read into the public keys Verity may verify with.

Pure: the fetched bytes and the key-count cap in, a ``KeySet`` out, or ``JwksRefused``
when the document as a whole is unusable (then the last good set stays in use). Each
usable key is pinned to one algorithm (RFC 8725 §3.1):

- a JWK with ``alg`` keeps it, if it is ES256, EdDSA or RS256 and fits the key;
- a JWK without ``alg`` is pinned by its type: ``kty: EC`` on ``crv: P-256`` is ES256,
  ``kty: OKP`` on ``crv: Ed25519`` is EdDSA, ``kty: RSA`` is RS256 (never PS256 or RS384:
  one algorithm per key type, so a token cannot pick another);
- anything else (another curve or algorithm, ``kty: oct``, RSA under 2048 bits, ``use``
  other than ``sig``, ``key_ops`` without ``verify``, a private key) is skipped with its
  reason, and a private or symmetric JWK is never stored.

A JWK without ``kid`` is named by its RFC 7638 thumbprint; two JWKs with one kid are both
refused (which one a token means cannot be told). The PEM kept is the one
``security.public_keys.load`` makes, the same parsing as a pasted key.
"""

import base64
import hashlib
import json
from dataclasses import dataclass, field

from . import public_keys
from .tokens import EDDSA, ES256, PUBLIC_KEY_ALGORITHMS, RS256

MAX_KID_LENGTH = 128
# Members that only a private (or symmetric) key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1).
PRIVATE_MEMBERS = frozenset(("d", "p", "q", "dp", "dq", "qi", "oth", "k"))
# RFC 7638 §3.2: the members a thumbprint hashes, per key type.
_THUMBPRINT_MEMBERS = {
    "EC": ("crv", "kty", "x", "y"),
    "OKP": ("crv", "kty", "x"),
    "RSA": ("e", "kty", "n"),
}


@dataclass(frozen=True)
class SourceState:
    """What the gateway and the diagnosis know of one JWKS source (from its JwksSet)."""

    id: int  # the MessengerKey's pk: what a refetch is asked for
    kid: str  # the source's own name in counts and the keys list
    url: str
    kids: tuple = ()  # the kids of the last good set
    fetched_at: object = None  # datetime of the last good fetch, None if never
    failing_since: object = None
    error: str = ""


class JwksRefused(ValueError):
    """Why a fetched document cannot be used at all (a plain sentence)."""


@dataclass(frozen=True)
class KeySet:
    keys: tuple = ()  # ({"kid", "alg", "pem"}, ...)
    skipped: tuple = field(default=())  # ({"kid", "reason"}, ...)


def pinned_algorithm(jwk):
    """The one algorithm a JWK verifies, or (None, why not)."""
    kty, crv, alg = jwk.get("kty"), jwk.get("crv"), jwk.get("alg")
    by_type = {("EC", "P-256"): ES256, ("OKP", "Ed25519"): EDDSA}.get((kty, crv))
    if kty == "RSA":
        by_type = RS256
    if alg is not None:
        if alg not in PUBLIC_KEY_ALGORITHMS:
            return None, f"its alg {json.dumps(alg)[:40]} is not ES256, EdDSA or RS256"
        if by_type != alg:
            return None, f"its alg {alg} does not fit its key type ({kty}, {crv})"
        return alg, None
    if by_type is None:
        shown = f"kty {json.dumps(kty)[:20]}" + (f", crv {json.dumps(crv)[:20]}" if crv else "")
        return None, f"no allowed algorithm for {shown} (EC P-256, OKP Ed25519 or RSA)"
    return by_type, None


def thumbprint(jwk):
    """The RFC 7638 JWK thumbprint (SHA-256, base64url), or None without the members."""
    members = _THUMBPRINT_MEMBERS.get(jwk.get("kty"))
    if members is None or not all(isinstance(jwk.get(m), str) for m in members):
        return None
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _unusable(jwk):
    """Why this JWK must not verify anything, or None."""
    if PRIVATE_MEMBERS.intersection(jwk):
        if jwk.get("kty") == "oct":
            return "a shared secret (kty oct) is never used nor stored"
        return "it is a private key: not stored; remove it from your JWKS now"
    use = jwk.get("use")
    if use is not None and use != "sig":
        return f"its use is {json.dumps(use)[:20]}, not sig"
    ops = jwk.get("key_ops")
    if ops is not None and (not isinstance(ops, list) or "verify" not in ops):
        return "its key_ops do not include verify"
    return None


def _kid(jwk):
    kid = jwk.get("kid")
    if kid is None:
        return thumbprint(jwk), None
    if not isinstance(kid, str) or not 1 <= len(kid) <= MAX_KID_LENGTH or not kid.isprintable():
        return None, f"its kid is not a string of 1 to {MAX_KID_LENGTH} printable characters"
    return kid, None


def parse(body, max_keys):
    """The usable keys of a JWKS document (bytes); raises JwksRefused."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise JwksRefused("the response is not JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksRefused('the response is not a JWKS (a JSON object with a "keys" list)')
    entries = document["keys"]
    if len(entries) > max_keys:
        raise JwksRefused(
            f"the JWKS has {len(entries)} keys, more than the {max_keys} allowed "
            "(VERITY_JWKS_MAX_KEYS)"
        )
    keys, skipped = [], []
    for position, jwk in enumerate(entries, 1):
        if not isinstance(jwk, dict):
            skipped.append({"kid": f"#{position}", "reason": "not a JSON object"})
            continue
        kid, why = _kid(jwk)
        shown = kid if kid is not None else f"#{position}"
        why = why or _unusable(jwk)
        alg = None
        if why is None:
            alg, why = pinned_algorithm(jwk)
        if why is None and kid is None:
            why = "it has no kid and no thumbprint can be computed"
        if why is None:
            try:
                pem = public_keys.load(alg, json.dumps(jwk))
            except public_keys.KeyRefused as refusal:
                why = refusal.message
        if why is not None:
            skipped.append({"kid": shown, "reason": why})
            continue
        keys.append({"kid": kid, "alg": alg, "pem": pem})
    seen = {}
    for key in keys:
        seen[key["kid"]] = seen.get(key["kid"], 0) + 1
    for kid, count in seen.items():
        if count > 1:
            skipped.append({"kid": kid, "reason": f"{count} keys share this kid"})
    return KeySet(keys=tuple(k for k in keys if seen[k["kid"]] == 1), skipped=tuple(skipped))
