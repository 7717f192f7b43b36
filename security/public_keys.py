"""Public keys a workspace registers for its messenger tokens: parsing and checking.

Pure: a pasted PEM or JWK and the algorithm it is for in, the key's canonical PEM
(SubjectPublicKeyInfo) out, or ``KeyRefused`` naming why not. The parsing is
``cryptography``'s and PyJWT's (``jwt.algorithms``); nothing here reads key bytes itself.
A private key is refused, never stored: Verity must hold nothing that can sign.
"""

import json

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from .tokens import EDDSA, ES256, RS256

MAX_LENGTH = 10_000  # an RSA-8192 JWK is under 3,000 characters
RSA_MIN_BITS, RSA_MAX_BITS = 2048, 8192
P256 = "secp256r1"

_PYJWT = {
    ES256: ECAlgorithm(ECAlgorithm.SHA256),
    EDDSA: OKPAlgorithm(),
    RS256: RSAAlgorithm(RSAAlgorithm.SHA256),
}
_KTY = {ES256: "EC", EDDSA: "OKP", RS256: "RSA"}
_TYPE = {
    ES256: ec.EllipticCurvePublicKey,
    EDDSA: ed25519.Ed25519PublicKey,
    RS256: rsa.RSAPublicKey,
}
_WANTED = {
    ES256: "an EC P-256 public key",
    EDDSA: "an Ed25519 public key",
    RS256: "an RSA public key of 2048 bits or more",
}
PRIVATE_MESSAGE = (
    "This is a PRIVATE key — keep it on your server; paste the public key. Verity verifies "
    "tokens with the public key only and never stores a key that can sign."
)


class KeyRefused(ValueError):
    """Why a pasted key cannot be registered: a stable ``code`` and a message."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def load(algorithm, text):
    """The canonical PEM of the public key ``text`` (a PEM or a JWK as JSON) for
    ``algorithm``; raises KeyRefused."""
    if algorithm not in _PYJWT:
        raise KeyRefused("invalid_algorithm", "The algorithm must be ES256, EdDSA or RS256.")
    if not isinstance(text, str) or not text.strip():
        raise KeyRefused("invalid_public_key", "Paste a public key as PEM or as a JWK.")
    text = text.strip()
    if len(text) > MAX_LENGTH:
        raise KeyRefused("invalid_public_key", f"A public key is at most {MAX_LENGTH} characters.")
    key = _from_jwk(algorithm, text) if text.startswith("{") else _from_pem(algorithm, text)
    _check(algorithm, key)
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def prepare(algorithm, pem):
    """The stored PEM loaded by PyJWT for verifying (once per snapshot, not per token)."""
    return _PYJWT[algorithm].prepare_key(pem)


def _garbage(algorithm):
    return KeyRefused(
        "invalid_public_key",
        f"This is not a public key Verity can read: paste {_WANTED[algorithm]} as PEM "
        "(-----BEGIN PUBLIC KEY-----) or as a JWK.",
    )


def _wrong_type(algorithm):
    return KeyRefused(
        "wrong_key_type", f"{algorithm} needs {_WANTED[algorithm]}; this key is of another type."
    )


def _from_pem(algorithm, text):
    if "PRIVATE KEY" in text:
        raise KeyRefused("private_key", PRIVATE_MESSAGE)
    try:
        key = serialization.load_pem_public_key(text.encode("utf-8"))
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise _garbage(algorithm) from None
    if not isinstance(key, _TYPE[algorithm]):
        raise _wrong_type(algorithm)
    try:
        return _PYJWT[algorithm].prepare_key(text)
    except (jwt.InvalidKeyError, ValueError, TypeError):
        raise _wrong_type(algorithm) from None


def _from_jwk(algorithm, text):
    try:
        jwk = json.loads(text)
    except (ValueError, RecursionError):
        raise _garbage(algorithm) from None
    if not isinstance(jwk, dict):
        raise _garbage(algorithm)
    if "d" in jwk:
        raise KeyRefused("private_key", PRIVATE_MESSAGE)
    if jwk.get("kty") != _KTY[algorithm] or jwk.get("alg", algorithm) != algorithm:
        raise _wrong_type(algorithm)
    try:
        key = _PYJWT[algorithm].from_jwk(jwk)
    except (jwt.InvalidKeyError, ValueError, TypeError, KeyError, UnsupportedAlgorithm):
        raise _garbage(algorithm) from None
    if not isinstance(key, _TYPE[algorithm]):
        raise _wrong_type(algorithm)
    return key


def _check(algorithm, key):
    if algorithm == ES256 and key.curve.name != P256:
        raise _wrong_type(algorithm)
    if algorithm == RS256 and not RSA_MIN_BITS <= key.key_size <= RSA_MAX_BITS:
        raise KeyRefused(
            "rsa_key_too_small" if key.key_size < RSA_MIN_BITS else "rsa_key_too_large",
            f"This RSA key has {key.key_size} bits; RS256 keys must have "
            f"{RSA_MIN_BITS} to {RSA_MAX_BITS} bits.",
        )
