"""Public-key tokens, pure (security.tokens.verify): ES256, EdDSA and RS256 keys each pinned
to their one algorithm (RFC 8725 §3.1), and every algorithm-confusion case refused."""

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from security import public_keys, tokens
from security.tokens import KeyCandidate

NOW = datetime.now(UTC)
HS_KEY = "k" * 43


def _private(algorithm):
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


PRIVATE = {alg: _private(alg) for alg in tokens.PUBLIC_KEY_ALGORITHMS}


def pem(private):
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def public(algorithm, kid=None):
    text = public_keys.load(algorithm, pem(PRIVATE[algorithm]))
    return KeyCandidate(
        kid=kid or f"pk_{algorithm.lower()}",
        key=text,
        algorithm=algorithm,
        verifier=public_keys.prepare(algorithm, text),
    )


HS = KeyCandidate(kid="mk_a", key=HS_KEY)


def mint(algorithm, kid="default", claims=None, key=None, **headers):
    payload = {"user_id": "42", "exp": int(time.time()) + 600, **(claims or {})}
    if kid == "default":
        kid = f"pk_{algorithm.lower()}"
    if kid is not None:
        headers["kid"] = kid
    return jwt.encode(payload, key or PRIVATE[algorithm], algorithm=algorithm, headers=headers)


def b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def forge_hs256(header, payload, secret):
    """An HS256 token made by hand, with any bytes as the secret (PyJWT refuses PEMs)."""
    signing = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    mac = hmac.new(secret, signing.encode(), hashlib.sha256).digest()
    return f"{signing}.{b64(mac)}"


def verify(token, *candidates):
    tokens.verified_tokens.clear()
    return tokens.verify(token, candidates, NOW)


@pytest.mark.parametrize("algorithm", tokens.PUBLIC_KEY_ALGORITHMS)
def test_a_token_signed_with_the_private_key_verifies_against_its_public_key(algorithm):
    result = verify(mint(algorithm), public(algorithm), HS)
    assert result.ok, result.code
    assert (result.kid, result.claims["user_id"]) == (f"pk_{algorithm.lower()}", "42")


@pytest.mark.parametrize("algorithm", tokens.PUBLIC_KEY_ALGORITHMS)
def test_a_token_signed_with_another_private_key_is_an_invalid_signature(algorithm):
    token = mint(algorithm, key=_private(algorithm))
    assert verify(token, public(algorithm), HS).code == tokens.JWT_INVALID_SIGNATURE


@pytest.mark.parametrize("algorithm", tokens.PUBLIC_KEY_ALGORITHMS)
def test_an_hs256_token_made_with_the_public_keys_pem_as_secret_is_refused(algorithm):
    key = public(algorithm)
    payload = {"user_id": "admin", "exp": int(time.time()) + 600}
    for kid in (key.kid, None):
        header = {"alg": "HS256", **({"kid": kid} if kid else {})}
        token = forge_hs256(header, payload, key.key.encode())
        result = verify(token, key, HS)
        assert not result.ok
        expected = tokens.JWT_ALGORITHM_NOT_ALLOWED if kid else tokens.JWT_INVALID_SIGNATURE
        assert result.code == expected


def test_an_hs256_token_against_a_workspace_of_public_keys_only_never_verifies():
    key = public("ES256")
    token = forge_hs256({"alg": "HS256"}, {"user_id": "admin"}, key.key.encode())
    assert verify(token, key).code == tokens.JWT_INVALID_SIGNATURE


def test_alg_none_is_refused_with_a_public_key():
    token = jwt.encode({"user_id": "42"}, None, algorithm="none", headers={"kid": "pk_es256"})
    assert verify(token, public("ES256")).code == tokens.JWT_BAD_ALGORITHM


def test_an_rs256_token_against_an_es256_key_is_refused():
    token = mint("RS256", kid="pk_es256")
    # No key of the workspace allows RS256 at all: the algorithm is refused.
    assert verify(token, public("ES256"), HS).code == tokens.JWT_BAD_ALGORITHM
    # One does, but the kid names the ES256 key: that key does not allow RS256.
    both = (public("ES256"), public("RS256"), HS)
    assert verify(token, *both).code == tokens.JWT_ALGORITHM_NOT_ALLOWED


def test_an_rs256_token_in_a_workspace_without_an_rs256_key_is_a_bad_algorithm():
    token = mint("RS256", kid=None)
    assert verify(token, public("ES256")).code == tokens.JWT_BAD_ALGORITHM


def test_an_es256_token_naming_an_hs256_key_is_not_allowed():
    assert verify(mint("ES256", kid="mk_a"), public("ES256"), HS).code == (
        tokens.JWT_ALGORITHM_NOT_ALLOWED
    )


@pytest.mark.parametrize("name", ["jwk", "jku", "x5u", "x5c"])
def test_a_header_carrying_or_pointing_at_a_key_is_refused(name):
    attacker = ec.generate_private_key(ec.SECP256R1())
    embedded = {
        "jwk": json.loads(jwt.algorithms.ECAlgorithm.to_jwk(attacker.public_key())),
        "jku": "https://evil.example/jwks.json",
        "x5u": "https://evil.example/cert.pem",
        "x5c": ["MIIB"],
    }[name]
    token = mint("ES256", key=attacker, **{name: embedded})
    assert verify(token, public("ES256"), HS).code == tokens.JWT_EMBEDDED_KEY
    # Even a token really signed by the registered key is refused with such a header.
    token = mint("ES256", **{name: embedded})
    assert verify(token, public("ES256"), HS).code == tokens.JWT_EMBEDDED_KEY


def test_a_hs256_token_with_a_jku_header_is_refused_too():
    token = jwt.encode({"user_id": "42"}, HS_KEY, algorithm="HS256", headers={"jku": "x"})
    assert verify(token, HS).code == tokens.JWT_EMBEDDED_KEY


def test_a_public_key_token_without_kid_beside_other_keys_needs_a_kid():
    assert verify(mint("ES256", kid=None), public("ES256"), HS).code == tokens.JWT_KID_REQUIRED


def test_a_public_key_token_without_kid_verifies_when_its_key_is_the_only_one():
    assert verify(mint("EdDSA", kid=None), public("EdDSA")).ok


def test_an_hs256_token_without_kid_still_tries_the_hs256_keys_only():
    token = jwt.encode({"user_id": "42"}, HS_KEY, algorithm="HS256")
    assert verify(token, public("ES256"), HS).ok


def test_an_unregistered_kid_is_an_unknown_key():
    assert verify(mint("ES256", kid="pk_nope"), public("ES256"), HS).code == (
        tokens.JWT_UNKNOWN_KEY
    )


def test_an_expired_public_key_token_is_expired():
    token = mint("ES256", claims={"exp": int(time.time()) - 600})
    assert verify(token, public("ES256")).code == tokens.JWT_EXPIRED


def test_a_public_key_token_without_user_id_is_refused():
    token = mint("ES256", claims={"user_id": ""})
    assert verify(token, public("ES256")).code == tokens.JWT_MISSING_USER_ID


def test_es384_and_ps256_are_bad_algorithms_even_with_an_ec_or_rsa_key():
    p384 = ec.generate_private_key(ec.SECP384R1())
    assert verify(mint("ES384", key=p384), public("ES256")).code == tokens.JWT_BAD_ALGORITHM
    token = mint("PS256", key=PRIVATE["RS256"], kid="pk_rs256")
    assert verify(token, public("RS256")).code == tokens.JWT_BAD_ALGORITHM


def test_a_verified_public_key_token_is_remembered_and_still_pinned():
    key = public("ES256")
    token = mint("ES256")
    assert verify(token, key).ok
    # From the cache: same answer; an HS256 candidate with the PEM as key never matches.
    assert tokens.verify(token, (key,), NOW).ok
    confused = KeyCandidate(kid=key.kid, key=key.key)
    assert tokens.verify(token, (confused,), NOW).code == tokens.JWT_BAD_ALGORITHM
    assert tokens.verify(token, (confused, public("ES256", "pk_other")), NOW).code == (
        tokens.JWT_ALGORITHM_NOT_ALLOWED
    )
