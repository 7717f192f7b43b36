"""security.tokens: only HS256 messenger JWTs signed with a usable key pass."""

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from security import tokens
from security.tokens import KeyCandidate

pytestmark = [
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
    pytest.mark.filterwarnings("ignore:authlib.jose module is deprecated"),
]

KEY_A = secrets.token_urlsafe(32)
KEY_B = secrets.token_urlsafe(32)


def now():
    return datetime.now(UTC)


def mint(claims=None, key=KEY_A, kid="mk_a", algorithm="HS256", **headers):
    payload = {"user_id": "42", "iat": int(time.time())} if claims is None else claims
    if kid is not None:
        headers["kid"] = kid
    return jwt.encode(payload, key, algorithm=algorithm, headers=headers or None)


def _b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def forge(header, payload, key=KEY_A):
    """A compact JWS with arbitrary header/payload text, HMAC-SHA256-signed with ``key``."""
    head = _b64(header if isinstance(header, bytes) else json.dumps(header).encode())
    body = _b64(payload if isinstance(payload, bytes) else json.dumps(payload).encode())
    signature = hmac.new(key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(signature)}"


KEYS = (KeyCandidate("mk_a", KEY_A), KeyCandidate("mk_b", KEY_B))


def verify(token, keys=KEYS, at=None):
    return tokens.verify(token, keys, at or now())


def test_a_valid_token_with_its_kid_verifies_and_returns_its_claims():
    result = verify(mint({"user_id": "42", "email": "ann@example.com"}))
    assert result.ok
    assert result.kid == "mk_a"
    assert result.claims == {"user_id": "42", "email": "ann@example.com"}


def test_the_kid_selects_the_key():
    result = verify(mint(key=KEY_B, kid="mk_b"))
    assert result.ok and result.kid == "mk_b"


def test_a_kid_naming_another_valid_key_than_the_signing_one_is_an_invalid_signature():
    assert verify(mint(key=KEY_A, kid="mk_b")).code == tokens.JWT_INVALID_SIGNATURE


def test_without_kid_every_valid_key_is_tried():
    result = verify(mint(key=KEY_B, kid=None))
    assert result.ok and result.kid == "mk_b"


def test_without_kid_a_token_no_key_signed_is_an_invalid_signature():
    stranger = secrets.token_urlsafe(32)
    assert verify(mint(key=stranger, kid=None)).code == tokens.JWT_INVALID_SIGNATURE


def test_without_kid_and_without_any_usable_key_the_signature_is_invalid():
    assert verify(mint(kid=None), keys=()).code == tokens.JWT_INVALID_SIGNATURE


@pytest.mark.parametrize("kid", ["mk_unknown", "", "MK_A"])
def test_a_kid_naming_no_key_is_an_unknown_key(kid):
    token = forge({"alg": "HS256", "typ": "JWT", "kid": kid}, {"user_id": "42"})
    assert verify(token).code == tokens.JWT_UNKNOWN_KEY


@pytest.mark.parametrize("kid", [7, None, ["mk_a"], {"kid": "mk_a"}])
def test_a_kid_that_is_not_a_string_is_malformed(kid):
    token = forge({"alg": "HS256", "typ": "JWT", "kid": kid}, {"user_id": "42"})
    assert verify(token).code == tokens.JWT_MALFORMED


def test_alg_none_is_refused():
    token = jwt.encode({"user_id": "42"}, None, algorithm="none", headers={"kid": "mk_a"})
    assert verify(token).code == tokens.JWT_BAD_ALGORITHM


def test_alg_none_with_an_empty_signature_crafted_by_hand_is_refused():
    head = _b64(json.dumps({"alg": "none", "kid": "mk_a"}).encode())
    body = _b64(json.dumps({"user_id": "42"}).encode())
    assert verify(f"{head}.{body}.").code == tokens.JWT_BAD_ALGORITHM


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_other_hmac_algorithms_are_refused_even_with_the_right_key(algorithm):
    assert verify(mint(algorithm=algorithm)).code == tokens.JWT_BAD_ALGORITHM


def test_rs256_is_refused():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode({"user_id": "42"}, private, algorithm="RS256", headers={"kid": "mk_a"})
    assert verify(token).code == tokens.JWT_BAD_ALGORITHM


def test_a_header_saying_rs256_over_an_hmac_made_with_the_key_is_refused():
    # The classic algorithm-confusion attack: the key used as an HMAC secret.
    token = forge({"alg": "RS256", "kid": "mk_a"}, {"user_id": "42"})
    assert verify(token).code == tokens.JWT_BAD_ALGORITHM


@pytest.mark.parametrize("alg", ["hs256", "HS256 ", "ES256", "PS256", "", None, 256])
def test_any_alg_other_than_exactly_hs256_is_refused(alg):
    token = forge({"alg": alg, "kid": "mk_a"}, {"user_id": "42"})
    assert verify(token).code == tokens.JWT_BAD_ALGORITHM


def test_a_header_without_alg_is_refused():
    token = forge({"kid": "mk_a"}, {"user_id": "42"})
    assert verify(token).code == tokens.JWT_BAD_ALGORITHM


def test_tampered_claims_break_the_signature():
    head, _, signature = mint({"user_id": "42"}).split(".")
    forged_body = _b64(json.dumps({"user_id": "1"}).encode())
    assert verify(f"{head}.{forged_body}.{signature}").code == tokens.JWT_INVALID_SIGNATURE


def test_an_hs256_header_with_no_payload_and_no_signature_is_an_invalid_signature():
    assert verify("eyJhbGciOiJIUzI1NiJ9..").code == tokens.JWT_INVALID_SIGNATURE


def test_a_tampered_signature_is_invalid():
    token = mint()
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert verify(flipped).code == tokens.JWT_INVALID_SIGNATURE


def test_a_token_signed_with_the_identity_secret_instead_of_the_key_is_invalid():
    assert verify(mint(key="0" * 64)).code == tokens.JWT_INVALID_SIGNATURE


@pytest.mark.parametrize(
    "claims",
    [{}, {"email": "ann@example.com"}, {"user_id": ""}, {"user_id": None}, {"user_id": 42}],
    ids=["no-claims", "email-only", "empty", "null", "integer"],
)
def test_a_token_without_a_non_empty_string_user_id_is_refused(claims):
    assert verify(mint(claims)).code == tokens.JWT_MISSING_USER_ID


@pytest.mark.parametrize("user_id", [["42"], {"id": "42"}, True, 4.2])
def test_a_user_id_of_another_json_type_is_refused(user_id):
    assert verify(mint({"user_id": user_id})).code == tokens.JWT_MISSING_USER_ID


def test_a_token_expired_ten_minutes_ago_is_refused():
    result = verify(mint({"user_id": "42", "exp": int(time.time()) - 600}))
    assert result.code == tokens.JWT_EXPIRED


def test_a_token_expired_ten_seconds_ago_is_inside_the_leeway():
    assert verify(mint({"user_id": "42", "exp": int(time.time()) - 10})).ok


def test_a_token_expired_just_beyond_the_leeway_is_refused():
    result = verify(mint({"user_id": "42", "exp": int(time.time()) - 45}))
    assert result.code == tokens.JWT_EXPIRED


def test_a_token_with_a_future_exp_is_accepted():
    assert verify(mint({"user_id": "42", "exp": int(time.time()) + 3600})).ok


def test_a_future_nbf_is_not_yet_valid():
    result = verify(mint({"user_id": "42", "nbf": int(time.time()) + 600}))
    assert result.code == tokens.JWT_NOT_YET_VALID


def test_an_nbf_a_few_seconds_ahead_is_inside_the_leeway():
    assert verify(mint({"user_id": "42", "nbf": int(time.time()) + 10})).ok


def test_an_iat_far_in_the_future_is_not_yet_valid():
    result = verify(mint({"user_id": "42", "iat": int(time.time()) + 600}))
    assert result.code == tokens.JWT_NOT_YET_VALID


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
def test_a_non_numeric_time_claim_is_malformed(claim):
    assert verify(mint({"user_id": "42", claim: "tomorrow"})).code == tokens.JWT_MALFORMED


def test_an_expiry_too_large_for_a_date_is_malformed_not_a_crash():
    result = verify(mint({"user_id": "42", "exp": 10**30}))
    assert result.code in (tokens.JWT_MALFORMED, None)


def test_a_token_with_a_numeric_sub_beside_its_user_id_is_accepted():
    # Only user_id matters; other registered claims are the customer's business.
    assert verify(mint({"user_id": "42", "sub": 42, "jti": 7})).ok


def test_an_old_key_inside_its_grace_period_still_verifies():
    at = now()
    keys = (KeyCandidate("mk_new", KEY_B), KeyCandidate("mk_a", KEY_A, at + timedelta(hours=1)))
    result = tokens.verify(mint(kid="mk_a"), keys, at)
    assert result.ok and result.kid == "mk_a"


def test_an_old_key_after_its_grace_period_is_an_unknown_key():
    at = now()
    keys = (KeyCandidate("mk_new", KEY_B), KeyCandidate("mk_a", KEY_A, at - timedelta(seconds=1)))
    assert tokens.verify(mint(kid="mk_a"), keys, at).code == tokens.JWT_UNKNOWN_KEY


def test_an_old_key_after_its_grace_period_is_not_tried_without_kid():
    at = now()
    keys = (KeyCandidate("mk_new", KEY_B), KeyCandidate("mk_a", KEY_A, at - timedelta(seconds=1)))
    assert tokens.verify(mint(kid=None), keys, at).code == tokens.JWT_INVALID_SIGNATURE


def test_grace_ends_exactly_at_valid_until():
    at = now()
    keys = (KeyCandidate("mk_a", KEY_A, at),)
    assert tokens.verify(mint(), keys, at).code == tokens.JWT_UNKNOWN_KEY


GARBAGE = [
    "",
    "abc",
    "a.b",
    "a.b.c",
    "...",
    "a.b.c.d",
    "eyJhbGciOiJIUzI1NiJ9",
    "!!!.???.###",
    "\x00.\x00.\x00",
    "\ud800.\ud800.\ud800",
    "ünïcödé.ünïcödé.ünïcödé",
    None,
    42,
    b"a.b.c",
    ["a", "b", "c"],
]


@pytest.mark.parametrize("token", GARBAGE, ids=repr)
def test_garbage_is_malformed(token):
    assert verify(token).code == tokens.JWT_MALFORMED


@pytest.mark.parametrize(
    "header", [b"[]", b'"HS256"', b"null", b"not json", b"\xff\xfe", b'{"alg": "HS256"']
)
def test_a_header_that_is_not_a_json_object_is_malformed(header):
    assert verify(forge(header, {"user_id": "42"})).code == tokens.JWT_MALFORMED


@pytest.mark.parametrize("payload", [b"[]", b'"42"', b"null", b"not json", b"\xff\xfe"])
def test_a_correctly_signed_payload_that_is_not_a_json_object_is_malformed(payload):
    token = forge({"alg": "HS256", "kid": "mk_a"}, payload)
    assert verify(token).code == tokens.JWT_MALFORMED


def test_a_correctly_signed_token_without_typ_is_accepted():
    assert verify(forge({"alg": "HS256", "kid": "mk_a"}, {"user_id": "42"})).ok


def test_tokens_minted_by_authlib_are_accepted():
    from authlib.jose import JsonWebToken

    minted = JsonWebToken(["HS256"]).encode(
        {"alg": "HS256", "kid": "mk_b"},
        {"user_id": "u-7", "email": "ann@example.com", "exp": int(time.time()) + 60},
        KEY_B,
    )
    result = verify(minted.decode())
    assert result.ok and result.kid == "mk_b" and result.claims["user_id"] == "u-7"


def test_tokens_minted_by_authlib_without_kid_are_accepted():
    from authlib.jose import JsonWebToken

    minted = JsonWebToken(["HS256"]).encode({"alg": "HS256"}, {"user_id": "u-8"}, KEY_A)
    result = verify(minted.decode())
    assert result.ok and result.kid == "mk_a"


def test_authlib_hs512_tokens_are_refused():
    from authlib.jose import JsonWebToken

    minted = JsonWebToken(["HS512"]).encode({"alg": "HS512"}, {"user_id": "u-9"}, KEY_A)
    assert verify(minted.decode()).code == tokens.JWT_BAD_ALGORITHM
