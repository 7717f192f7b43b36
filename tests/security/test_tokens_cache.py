"""The verified-token cache: a success is reused until exp + leeway, never beyond, and
never for another key; failures are never remembered."""

import time
from datetime import UTC, datetime
from unittest import mock

import jwt
import pytest

from security import tokens

KEY = "k" * 40
OTHER = "o" * 40


def token(key=KEY, kid="kid1", **claims):
    now = int(time.time())
    payload = {"user_id": "u1", "iat": now, "exp": now + 600, **claims}
    return jwt.encode(payload, key, algorithm="HS256", headers={"kid": kid})


def verify(value, key=KEY, kid="kid1"):
    return tokens.verify(value, [tokens.KeyCandidate(kid, key)], datetime.now(UTC))


@pytest.fixture
def decodes():
    with mock.patch.object(tokens, "_pyjwt_decode", wraps=tokens._pyjwt_decode) as spy:
        yield spy


def test_a_verified_token_is_not_verified_again(decodes):
    value = token()
    assert verify(value).ok and verify(value).ok
    assert decodes.call_count == 1


def test_failures_are_never_remembered(decodes):
    value = token(key=OTHER)
    assert verify(value).code == tokens.JWT_INVALID_SIGNATURE
    assert verify(value).code == tokens.JWT_INVALID_SIGNATURE
    assert decodes.call_count == 2


def test_a_success_is_not_reused_past_exp_plus_leeway(decodes):
    now = int(time.time())
    value = token(exp=now + 5)
    assert verify(value).ok
    still = now + 5 + tokens.LEEWAY_SECONDS - 1
    with mock.patch.object(tokens.time, "time", return_value=still):
        assert tokens.verified_tokens.get(value, KEY) is not None
    later = now + 5 + tokens.LEEWAY_SECONDS + 1
    with mock.patch.object(tokens.time, "time", return_value=later):
        assert tokens.verified_tokens.get(value, KEY) is None


def test_an_expired_entry_goes_back_to_pyjwt(decodes):
    value = token()
    assert verify(value).ok
    with mock.patch.object(tokens.time, "time", return_value=time.time() + 10_000):
        verify(value)
    assert decodes.call_count == 2


def test_a_cached_token_does_not_verify_with_another_key(decodes):
    value = token()
    assert verify(value).ok
    assert verify(value, key=OTHER).code == tokens.JWT_INVALID_SIGNATURE


def test_a_key_no_longer_offered_does_not_verify_from_the_cache():
    value = token()
    assert verify(value).ok
    # Revoked or out of grace: the snapshot no longer offers the key at all.
    assert tokens.verify(value, [], datetime.now(UTC)).code == tokens.JWT_UNKNOWN_KEY


def test_callers_cannot_change_what_is_cached():
    value = token()
    verify(value).claims["user_id"] = "someone-else"
    assert verify(value).claims["user_id"] == "u1"
    tokens.unverified_header(value)["kid"] = "forged"
    assert tokens.unverified_header(value)["kid"] == "kid1"


def test_the_cache_is_bounded():
    cache = tokens._VerifiedTokens(size=3)
    for n in range(5):
        cache.put(f"t{n}", KEY, {"user_id": "u", "exp": time.time() + 60})
    assert cache.get("t0", KEY) is None and cache.get("t4", KEY) is not None
