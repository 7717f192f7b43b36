"""security.gateway: enforcement by app version (issue 19), as pure functions."""

from dataclasses import replace
from datetime import UTC, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from security import gateway, versions
from security.gateway import VersionPolicy
from security.hashing import user_hash
from tests.security.test_gateway_rules import NOW, SECRETS, config, ping, run, token

SUNSET = NOW + timedelta(days=30)


def with_policy(cfg, minimum="5.2.0", sunset_at=SUNSET, platform="ios"):
    policy = VersionPolicy(minimum=minimum, sunset_at=sunset_at)
    platforms = dict(cfg.platforms)
    platforms[platform] = replace(platforms[platform], version_policy=policy)
    return replace(cfg, platforms=platforms)


def enforced(**kwargs):
    return with_policy(config(enforced=True), **kwargs)


def ios(version=None, **fields):
    return ping("ios", user_id="42", app_version=version, **fields)


@pytest.mark.parametrize("version", ["5.2.0", "5.2", "5.10.0", "6.0.0-beta", "5.2.0+9", "v5.2.1"])
def test_the_minimum_version_and_later_are_enforced(version):
    decision = run(ios(version), enforced())
    assert (decision.status, decision.code) == (403, gateway.MISSING_USER_HASH)
    assert "policy_warning" not in decision.body()


@pytest.mark.parametrize("version", ["5.1.0", "5.1.9", "5.2.0-rc.1", "4", "0.9.99.1", "5.1.0+77"])
def test_older_versions_are_served_with_both_warnings_until_the_sunset(version):
    decision = run(ios(version), enforced())
    assert (decision.status, decision.outcome) == (200, gateway.UNVERIFIED)
    assert decision.body() == {
        "identity": "unverified",
        "warning": gateway.MISSING_USER_HASH,
        "message": gateway.MESSAGES[gateway.MISSING_USER_HASH],
        "policy_warning": gateway.APP_VERSION_BELOW_MINIMUM,
        "policy_message": gateway.MESSAGES[gateway.APP_VERSION_BELOW_MINIMUM],
        "enforce_from_version": "5.2.0",
        "sunset_at": SUNSET.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    }


def test_a_wrong_proof_from_an_old_version_keeps_its_own_warning():
    decision = run(ios("5.1.0", user_hash="0" * 64), enforced())
    assert decision.status == 200
    assert decision.body()["warning"] == gateway.INVALID_USER_HASH
    assert decision.body()["policy_warning"] == gateway.APP_VERSION_BELOW_MINIMUM
    bad_jwt = run(ping("ios", app_version="5.1.0", user_jwt=token(key="x" * 32)), enforced())
    assert (bad_jwt.status, bad_jwt.code) == (200, "jwt_invalid_signature")


def test_from_the_sunset_on_older_versions_are_enforced_too():
    at_sunset = run(ios("5.1.0"), enforced(), now=SUNSET)
    assert (at_sunset.status, at_sunset.code) == (403, gateway.MISSING_USER_HASH)
    wrong = run(ios("5.1.0", user_hash="0" * 64), enforced(), now=SUNSET + timedelta(days=1))
    assert wrong.status == 401 and "WWW-Authenticate" in wrong.headers


def test_without_a_sunset_older_versions_are_served_for_good():
    decision = run(ios("5.1.0"), enforced(sunset_at=None), now=NOW + timedelta(days=3650))
    assert decision.status == 200
    assert decision.body()["sunset_at"] is None


@pytest.mark.parametrize("version", [None, "latest", "5.2.x", "", "٥.١.٠"])
def test_a_missing_or_unparsable_version_is_enforced(version):
    decision = run(ios(version), enforced())
    assert (decision.status, decision.code) == (403, gateway.MISSING_USER_HASH)


def test_proven_requests_and_visitors_from_old_versions_get_no_policy_warning():
    good = user_hash(SECRETS["ios"], "42")
    verified = run(ios("5.1.0", user_hash=good), enforced())
    assert verified.body() == {"identity": "verified"}
    visitor = run(ping("ios", app_version="1.0.0"), enforced())
    assert visitor.body() == {"identity": "visitor"}


def test_the_policy_does_nothing_on_a_platform_that_does_not_enforce():
    decision = run(ios("5.1.0"), with_policy(config(enforced=False)))
    assert decision.body() == {
        "identity": "unverified",
        "warning": gateway.MISSING_USER_HASH,
        "message": gateway.MESSAGES[gateway.MISSING_USER_HASH],
    }


def test_the_policy_applies_to_its_own_platform_only():
    decision = run(ping("android", user_id="42", app_version="1.0.0"), enforced())
    assert decision.status == 403


def test_a_policy_needs_a_minimum_that_parses():
    with pytest.raises(ValueError):
        VersionPolicy(minimum="latest")


@given(
    st.one_of(
        st.none(),
        st.text(max_size=20),
        st.from_regex(r"v?[0-9]{1,3}(\.[0-9]{1,3}){0,3}(-[a-z0-9.]{1,5})?", fullmatch=True),
    ),
    st.integers(-5, 5),
)
def test_an_unproven_request_is_served_exactly_when_its_version_is_below_before_the_sunset(
    version, days
):
    now = SUNSET + timedelta(days=days)
    decision = run(ios(version), enforced(), now=now)
    key = versions.parse(version) if version is not None else None
    spared = key is not None and key < versions.parse("5.2.0") and now < SUNSET
    assert decision.status == (200 if spared else 403)
    assert ("policy_warning" in decision.body()) == spared
