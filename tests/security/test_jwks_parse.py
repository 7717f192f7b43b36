"""Reading a JWKS document (security.jwks): each key pinned to one algorithm, anything
else skipped with its reason, a private key never kept, the key-count cap."""

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from security import jwks
from security.jwks import JwksRefused, parse, thumbprint


def es256():
    return ec.generate_private_key(ec.SECP256R1())


def jwk(private, public=True, **members):
    key = private.public_key() if public else private
    if isinstance(private, ec.EllipticCurvePrivateKey):
        text = ECAlgorithm.to_jwk(key)
    elif isinstance(private, rsa.RSAPrivateKey):
        text = RSAAlgorithm.to_jwk(key)
    else:
        text = OKPAlgorithm.to_jwk(key)
    return {**json.loads(text), **members}


def doc(*keys):
    return json.dumps({"keys": list(keys)}).encode()


def parsed(*keys, max_keys=20):
    return parse(doc(*keys), max_keys)


def test_a_key_without_alg_is_pinned_by_its_type():
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    result = parsed(
        jwk(es256(), kid="ec"),
        jwk(ed25519.Ed25519PrivateKey.generate(), kid="ed"),
        jwk(rsa_key, kid="rsa"),
    )
    assert [(k["kid"], k["alg"]) for k in result.keys] == [
        ("ec", "ES256"),
        ("ed", "EdDSA"),
        ("rsa", "RS256"),
    ]
    assert all(k["pem"].startswith("-----BEGIN PUBLIC KEY-----") for k in result.keys)
    assert result.skipped == ()


def test_an_alg_that_fits_the_key_is_kept():
    result = parsed(jwk(es256(), kid="ec", alg="ES256", use="sig", key_ops=["verify"]))
    assert [(k["kid"], k["alg"]) for k in result.keys] == [("ec", "ES256")]


@pytest.mark.parametrize(
    "members, reason",
    [
        ({"alg": "HS256"}, "not ES256, EdDSA or RS256"),
        ({"alg": "none"}, "not ES256, EdDSA or RS256"),
        ({"alg": "ES384"}, "not ES256, EdDSA or RS256"),
        ({"alg": "RS256"}, "does not fit its key type"),
        ({"alg": "EdDSA"}, "does not fit its key type"),
        ({"use": "enc"}, "not sig"),
        ({"key_ops": ["encrypt"]}, "key_ops"),
        ({"kid": 7}, "kid is not a string"),
        ({"kid": "x" * 200}, "kid is not a string"),
    ],
)
def test_an_ec_key_that_allows_something_else_is_skipped(members, reason):
    result = parsed(jwk(es256(), **{"kid": "ec", **members}))
    assert result.keys == ()
    assert reason in result.skipped[0]["reason"]


def test_an_rsa_key_is_rs256_only_never_ps256():
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    result = parsed(jwk(rsa_key, kid="ps", alg="PS256"))
    assert result.keys == ()
    assert "not ES256, EdDSA or RS256" in result.skipped[0]["reason"]


def test_other_curves_short_rsa_and_shared_secrets_are_skipped():
    p384 = ec.generate_private_key(ec.SECP384R1())
    short = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    x = x25519.X25519PrivateKey.generate()
    x_jwk = {"kty": "OKP", "crv": "X25519", "x": "AAAA", "kid": "x"}
    assert x is not None
    result = parsed(
        jwk(p384, kid="p384"),
        jwk(short, kid="short"),
        x_jwk,
        {"kty": "oct", "k": "c2VjcmV0", "kid": "hs", "alg": "HS256"},
    )
    assert result.keys == ()
    reasons = {s["kid"]: s["reason"] for s in result.skipped}
    assert "no allowed algorithm" in reasons["p384"]
    assert "1024 bits" in reasons["short"]
    assert "no allowed algorithm" in reasons["x"]
    assert "shared secret" in reasons["hs"]


@pytest.mark.parametrize("kind", ["ec", "rsa", "ed"])
def test_a_private_jwk_is_skipped_and_never_kept(kind):
    private = {
        "ec": es256,
        "rsa": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ed": ed25519.Ed25519PrivateKey.generate,
    }[kind]()
    entry = jwk(private, public=False, kid="oops")
    assert "d" in entry
    result = parsed(entry)
    assert result.keys == ()
    assert "private key" in result.skipped[0]["reason"]
    assert entry["d"] not in json.dumps([result.keys, result.skipped])


def test_a_key_without_kid_is_named_by_its_rfc_7638_thumbprint():
    # RFC 7638 §3.1's example key and thumbprint.
    example = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6"
        "tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5"
        "v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbIS"
        "D08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kE"
        "gU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
    }
    assert thumbprint(example) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    result = parsed(example)
    assert [(k["kid"], k["alg"]) for k in result.keys] == [
        ("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", "RS256")
    ]


def test_two_keys_with_one_kid_are_both_refused():
    result = parsed(jwk(es256(), kid="same"), jwk(es256(), kid="same"), jwk(es256(), kid="ok"))
    assert [k["kid"] for k in result.keys] == ["ok"]
    assert {"kid": "same", "reason": "2 keys share this kid"} in result.skipped


def test_more_keys_than_the_cap_fail_the_whole_document():
    with pytest.raises(JwksRefused, match="3 keys, more than the 2 allowed"):
        parsed(jwk(es256(), kid="a"), jwk(es256(), kid="b"), jwk(es256(), kid="c"), max_keys=2)


@pytest.mark.parametrize(
    "body", [b"<html>", b"[]", b'{"keys": {}}', b'{"other": []}', b"\xff\xfe", b"[" * 100000]
)
def test_a_document_that_is_not_a_jwks_fails(body):
    with pytest.raises(JwksRefused):
        parse(body, 20)


def test_entries_that_are_not_objects_are_skipped():
    result = parse(b'{"keys": [1, "x", null]}', 20)
    assert result.keys == ()
    assert [s["kid"] for s in result.skipped] == ["#1", "#2", "#3"]


def test_pinning_table():
    assert jwks.pinned_algorithm({"kty": "EC", "crv": "P-256"}) == ("ES256", None)
    assert jwks.pinned_algorithm({"kty": "OKP", "crv": "Ed25519"}) == ("EdDSA", None)
    assert jwks.pinned_algorithm({"kty": "RSA"}) == ("RS256", None)
    assert jwks.pinned_algorithm({"kty": "EC", "crv": "P-521"})[0] is None
