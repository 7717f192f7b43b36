"""security.gateway.decide keeps the decisions of pings without a token: each kept one is
the one the rules would make again (same snapshot object, before the next moment a secret's
grace or a version policy's sunset ends), and the memo is bounded."""

import secrets
from datetime import UTC, datetime, timedelta

import pytest

from security import gateway, tokens
from security.gateway import Ping, PlatformConfig, SecretCandidate, VersionPolicy, WorkspaceConfig
from security.hashing import user_hash

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
CURRENT = secrets.token_hex(32)
RETIRED = secrets.token_hex(32)
KEY = secrets.token_urlsafe(32)


@pytest.fixture(autouse=True)
def _empty_memo():
    gateway._DECIDED.clear()
    yield
    gateway._DECIDED.clear()


def snapshot(enforced=True, retired_until=None, policy=None):
    candidates = [SecretCandidate("hmac:web:v2", CURRENT)]
    if retired_until is not None:
        candidates.append(SecretCandidate("hmac:web:v1", RETIRED, retired_until))
    platforms = {
        p: PlatformConfig(enforced=enforced, secrets=tuple(candidates), version_policy=policy)
        for p in ("web", "ios", "android")
    }
    return WorkspaceConfig(
        workspace_id=1,
        app_id="app_memo",
        platforms=platforms,
        jwt_keys=(tokens.KeyCandidate("mk_1", KEY),),
    )


def hmac_ping(secret, user_id="42", **fields):
    return Ping("app_memo", "web", user_id=user_id, user_hash=user_hash(secret, user_id), **fields)


def test_a_repeated_ping_under_the_same_snapshot_gets_the_kept_decision():
    config, ping = snapshot(), hmac_ping(CURRENT)
    first = gateway.decide(ping, config, "app.acme.test", NOW)
    assert first.proof == "hmac:web:v2"
    assert gateway.decide(ping, config, "app.acme.test", NOW + timedelta(days=30)) is first


def test_a_new_snapshot_decides_again():
    ping = hmac_ping(CURRENT)
    assert gateway.decide(ping, snapshot(enforced=True), None, NOW).status == 200
    rotated = snapshot()  # the same rules, but a new object: as after any change
    object.__setattr__(rotated.platforms["web"], "secrets", ())
    refused = gateway.decide(ping, rotated, None, NOW)
    assert (refused.status, refused.code) == (401, gateway.INVALID_USER_HASH)


def test_a_retired_secret_stops_verifying_when_its_grace_ends_even_when_kept():
    until = NOW + timedelta(minutes=5)
    config, ping = snapshot(retired_until=until), hmac_ping(RETIRED)
    assert gateway.decide(ping, config, None, NOW).proof == "hmac:web:v1"
    assert gateway.decide(ping, config, None, until - timedelta(seconds=1)).proof == ("hmac:web:v1")
    after = gateway.decide(ping, config, None, until)
    assert (after.status, after.code) == (401, gateway.INVALID_USER_HASH)


def test_a_version_policy_stops_sparing_at_its_sunset_even_when_kept():
    sunset = NOW + timedelta(hours=1)
    config = snapshot(policy=VersionPolicy("5.0.0", sunset))
    ping = Ping("app_memo", "ios", user_id="42", app_version="4.9.0")
    assert gateway.decide(ping, config, None, NOW).status == 200  # spared, with a warning
    refused = gateway.decide(ping, config, None, sunset)
    assert (refused.status, refused.code) == (403, gateway.MISSING_USER_HASH)


def test_the_origin_host_is_part_of_what_is_kept():
    config = snapshot()
    object.__setattr__(config, "trusted_domains", ("app.acme.test",))
    ping = hmac_ping(CURRENT)
    assert gateway.decide(ping, config, "app.acme.test", NOW).status == 200
    assert gateway.decide(ping, config, "evil.test", NOW).code == gateway.UNTRUSTED_DOMAIN


def test_tokens_are_never_kept():
    """A token's times (exp, nbf, iat) are its own: security.tokens judges them each time."""
    import jwt

    good = jwt.encode({"user_id": "42"}, KEY, "HS256", headers={"kid": "mk_1"})
    ping = Ping("app_memo", "web", user_jwt=good)
    assert gateway.decide(ping, snapshot(), None, NOW).proof == "jwt:mk_1"
    assert not gateway._DECIDED


def test_the_memo_is_bounded():
    config = snapshot()
    for i in range(3 * gateway._MAX_DECIDED):
        ping = hmac_ping(CURRENT, user_id=f"u{i}")
        assert gateway.decide(ping, config, None, NOW).identifier == f"u{i}"
        assert len(gateway._DECIDED) <= gateway._MAX_DECIDED
