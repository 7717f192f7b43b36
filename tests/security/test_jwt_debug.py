"""The token debugger's findings (security.jwt_debug), one case per stable code."""

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from security import jwt_debug
from security.jwt_debug import DebugKey

NOW = datetime.now(UTC)
CURRENT = DebugKey("mk_current", "c" * 43, "current")
GRACE = DebugKey("mk_grace", "g" * 43, "grace", valid_until=NOW + timedelta(hours=3))
EXPIRED = DebugKey("mk_old", "o" * 43, "expired", valid_until=NOW - timedelta(hours=2))
REVOKED = DebugKey("mk_bad", "r" * 43, "revoked", valid_until=None, revoked_at=NOW)
KEYS = [CURRENT, GRACE, EXPIRED, REVOKED]
SECRETS = [("web", "w" * 64), ("ios", "i" * 64), ("android", "a" * 64)]


def token(claims=None, key=CURRENT.key, kid=CURRENT.kid, alg="HS256"):
    claims = {"user_id": "42", "exp": int(time.time()) + 600} if claims is None else claims
    headers = {"kid": kid} if kid is not None else {}
    return jwt.encode(claims, key, algorithm=alg, headers=headers)


def run(value):
    return jwt_debug.debug(value, KEYS, SECRETS, datetime.now(UTC))


def b64(data):
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_good_token_is_valid_with_its_key_named():
    result = run(token({"user_id": "42", "email": "ann@example.com"}))
    assert result.valid and result.errors == []
    assert result.payload["email"] == "ann@example.com"
    assert result.key == {"kid": "mk_current", "state": "current", "named_by": "kid"}
    assert result.gateway_code is None
    assert result.as_dict()["payload_trusted"] is True
    assert result.signature_verified


def test_a_token_signed_with_a_key_in_grace_is_valid():
    result = run(token(key=GRACE.key, kid=GRACE.kid))
    assert result.valid
    assert result.key["state"] == "grace"


def test_without_kid_the_key_is_found_by_its_signature():
    result = run(token(kid=None))
    assert result.valid
    assert result.key["kid"] == "mk_current" and result.key["named_by"] == "signature"


@pytest.mark.parametrize("value", ["", "abc", "a.b", "a.b.c.d", "!!!.???.***", 42, None])
def test_garbage_is_malformed(value):
    result = run(value)
    assert result.codes == ["jwt_malformed"]
    assert not result.valid and result.gateway_code == "jwt_malformed"


def test_a_payload_that_is_not_json_is_malformed_but_the_header_is_shown():
    header = b64({"alg": "HS256", "kid": CURRENT.kid})
    result = run(f"{header}.bm90IGpzb24.c2ln")
    assert result.codes == ["jwt_malformed"]
    assert result.header == {"alg": "HS256", "kid": CURRENT.kid}


def test_alg_none_is_a_bad_algorithm_and_the_payload_is_still_decoded_untrusted():
    unsigned = f"{b64({'alg': 'none', 'kid': CURRENT.kid})}.{b64({'user_id': 'admin'})}."
    result = run(unsigned)
    assert "jwt_bad_algorithm" in result.codes
    assert result.payload == {"user_id": "admin"}
    assert result.as_dict()["payload_trusted"] is False
    assert '"none"' in result.errors[0]["message"]


def test_hs512_is_a_bad_algorithm():
    result = run(token(key="k" * 64, alg="HS512"))
    assert result.codes == ["jwt_bad_algorithm"]


def test_an_unknown_kid_is_named():
    result = run(token(kid="mk_nobody"))
    assert result.codes == ["jwt_unknown_key"]
    assert "mk_nobody" in result.errors[0]["message"]
    assert result.key is None


def test_a_token_signed_by_a_revoked_key_says_so():
    result = run(token(key=REVOKED.key, kid=REVOKED.kid))
    assert result.codes == ["jwt_key_revoked"]
    assert result.key["state"] == "revoked"
    assert result.gateway_code == "jwt_unknown_key"


def test_a_revoked_key_is_found_even_without_kid():
    result = run(token(key=REVOKED.key, kid=None))
    assert result.codes == ["jwt_key_revoked"]
    assert result.gateway_code == "jwt_invalid_signature"


def test_a_token_signed_by_a_key_whose_grace_ended_says_so():
    result = run(token(key=EXPIRED.key, kid=EXPIRED.kid))
    assert result.codes == ["jwt_key_grace_ended"]
    assert "2 h" in result.errors[0]["message"]
    assert result.key == {
        "kid": "mk_old",
        "state": "expired",
        "named_by": "kid",
        "valid_until": result.key["valid_until"],
    }


@pytest.mark.parametrize("platform, secret", SECRETS)
def test_a_token_signed_with_an_identity_secret_names_the_platform(platform, secret):
    result = run(token(key=secret, kid=None))
    assert result.codes == ["jwt_signed_with_identity_secret"]
    assert platform in result.errors[0]["message"]


def test_identity_secret_is_found_even_when_the_kid_names_the_current_key():
    result = run(token(key=SECRETS[0][1]))
    assert result.codes == ["jwt_signed_with_identity_secret"]
    assert result.key["kid"] == CURRENT.kid


def test_a_wrong_signature_is_invalid():
    result = run(token(key="x" * 43))
    assert result.codes == ["jwt_invalid_signature"]
    assert not result.signature_verified
    assert result.gateway_code == "jwt_invalid_signature"


def test_an_expired_token_says_how_long_ago():
    now = datetime.now(UTC)
    result = run(token({"user_id": "42", "exp": int(now.timestamp()) - 12 * 60 - 5}))
    assert result.codes == ["jwt_expired"]
    assert result.times["exp"]["text"] == "expired 12 min ago"
    assert "12 min ago" in result.errors[0]["message"]
    assert result.times["exp"]["iso"].endswith("Z")
    assert result.gateway_code == "jwt_expired"
    # Refused, yet authentic: a key of the workspace made the signature.
    assert result.signature_verified and not result.as_dict()["payload_trusted"]


def test_expiry_inside_the_leeway_is_still_valid():
    result = run(token({"user_id": "42", "exp": int(time.time()) - 10}))
    assert result.valid


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_a_token_from_the_future_is_not_yet_valid(claim):
    result = run(token({"user_id": "42", claim: int(time.time()) + 3600}))
    assert result.codes == ["jwt_not_yet_valid"]
    assert claim in result.errors[0]["message"]


def test_clock_skew_is_measured_from_iat():
    result = run(token({"user_id": "42", "iat": int(time.time()) - 300}))
    assert result.valid
    assert -302 <= result.times["skew_seconds"] <= -298
    assert "behind" in result.times["skew_text"]
    assert result.times["iat"]["text"] == "issued 5 min ago"


def test_a_non_numeric_exp_is_malformed_with_the_claim_named():
    result = run(token({"user_id": "42", "exp": "tomorrow"}))
    assert "jwt_malformed" in result.codes
    assert result.times["exp"]["error"] == "exp must be a number of seconds."


def test_a_missing_user_id_is_named():
    result = run(token({"email": "ann@example.com"}))
    assert result.codes == ["jwt_missing_user_id"]


def test_an_empty_user_id_is_missing():
    assert run(token({"user_id": ""})).codes == ["jwt_missing_user_id"]


def test_a_numeric_user_id_is_not_a_string():
    result = run(token({"user_id": 42}))
    assert result.codes == ["jwt_user_id_not_string"]
    assert "int" in result.errors[0]["message"]
    assert result.gateway_code == "jwt_missing_user_id"


def test_every_problem_is_listed_together():
    stale = int(time.time()) - 7200
    result = run(token({"user_id": 7, "exp": stale}, key=REVOKED.key, kid=REVOKED.kid))
    assert result.codes == ["jwt_key_revoked", "jwt_expired", "jwt_user_id_not_string"]


def test_the_result_never_contains_key_material():
    for value in (token(), token(key=REVOKED.key, kid=REVOKED.kid), token(key=SECRETS[0][1])):
        dumped = json.dumps(run(value).as_dict())
        for secret in [k.key for k in KEYS] + [s for _, s in SECRETS]:
            assert secret not in dumped
