"""The token debugger with public keys: a public-key token is explained, and the causes
issue 19 adds are named (an algorithm the key does not allow, a kid not registered, a kid
missing, a key carried in the header)."""

import json
import time
from datetime import UTC, datetime, timedelta

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from security import jwt_debug, public_keys
from security.jwt_debug import DebugKey

NOW = datetime.now(UTC)
ES_PRIVATE = ec.generate_private_key(ec.SECP256R1())
ED_PRIVATE = ed25519.Ed25519PrivateKey.generate()


def pem(private):
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


HS = DebugKey("mk_current", "c" * 43, "current")
ES = DebugKey("pk_es", public_keys.load("ES256", pem(ES_PRIVATE)), "active", algorithm="ES256")
ED_REVOKED = DebugKey(
    "pk_ed",
    public_keys.load("EdDSA", pem(ED_PRIVATE)),
    "revoked",
    revoked_at=NOW - timedelta(hours=1),
    algorithm="EdDSA",
)
KEYS = [HS, ES, ED_REVOKED]
SECRETS = [("web", "w" * 64)]


def token(private, alg, kid, **headers):
    claims = {"user_id": "42", "exp": int(time.time()) + 600}
    if kid is not None:
        headers["kid"] = kid
    return jwt.encode(claims, private, algorithm=alg, headers=headers)


def run(value):
    return jwt_debug.debug(value, KEYS, SECRETS, datetime.now(UTC))


def test_a_good_es256_token_is_valid_with_its_key_named():
    result = run(token(ES_PRIVATE, "ES256", "pk_es"))
    assert result.valid, result.errors
    assert result.key["kid"] == "pk_es" and result.signature_verified


def test_an_hs256_token_naming_the_public_key_is_an_algorithm_the_key_does_not_allow():
    result = run(token("c" * 43, "HS256", "pk_es"))
    assert result.codes == ["jwt_algorithm_not_allowed"]
    assert "pinned to ES256" in result.errors[0]["message"]
    assert result.gateway_code == "jwt_algorithm_not_allowed"


def test_an_unregistered_kid_is_named():
    result = run(token(ES_PRIVATE, "ES256", "pk_nope"))
    assert result.codes == ["jwt_unknown_key"]


def test_a_public_key_token_without_kid_is_told_to_name_its_key():
    result = run(token(ES_PRIVATE, "ES256", None))
    assert result.gateway_code == "jwt_kid_required"
    assert "jwt_kid_required" in result.codes


def test_a_token_of_a_revoked_public_key_says_so():
    result = run(token(ED_PRIVATE, "EdDSA", "pk_ed"))
    assert "jwt_key_revoked" in result.codes


def test_an_algorithm_no_key_allows_lists_the_allowed_ones():
    result = run(jwt.encode({"user_id": "42"}, "k" * 64, algorithm="HS512"))
    assert result.codes == ["jwt_bad_algorithm"]
    assert "HS256, ES256, EdDSA" in result.errors[0]["message"]


def test_a_jwk_header_is_named_and_never_trusted():
    attacker = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(attacker.public_key()))
    result = run(token(attacker, "ES256", "pk_es", jwk=jwk))
    assert "jwt_embedded_key" in result.codes
    assert not result.valid and result.gateway_code == "jwt_embedded_key"


def test_the_result_never_contains_key_material_beyond_the_kid():
    text = json.dumps(run(token(ES_PRIVATE, "ES256", "pk_es")).as_dict(), default=str)
    assert "BEGIN PUBLIC KEY" not in text and "c" * 43 not in text
