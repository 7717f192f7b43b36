"""security.gateway: parse_ping and the decision table of SPEC §3, as pure functions."""

import secrets
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from security import gateway, tokens
from security.gateway import (
    Ping,
    PlatformConfig,
    SecretCandidate,
    WorkspaceConfig,
    decide,
)
from security.hashing import user_hash
from workspaces.domains import normalize_pattern, origin_host

PLATFORMS = ("web", "ios", "android")
SECRETS = {p: secrets.token_hex(32) for p in PLATFORMS}
KEY = secrets.token_urlsafe(32)
KID = "mk_current"
NOW = datetime.now(UTC)
ORIGIN = "app.acme.test"


def config(enforced=False, hmac_allowed=True, trusted=(), extra_secrets=(), keys=None):
    platforms = {
        p: PlatformConfig(
            enforced=enforced,
            hmac_allowed=hmac_allowed,
            secrets=(SecretCandidate(f"hmac:{p}:v2", SECRETS[p]), *extra_secrets),
        )
        for p in PLATFORMS
    }
    return WorkspaceConfig(
        workspace_id=1,
        app_id="a1b2c3d4",
        platforms=platforms,
        jwt_keys=(tokens.KeyCandidate(KID, KEY),) if keys is None else keys,
        trusted_domains=tuple(normalize_pattern(d) for d in trusted),
    )


def ping(platform="web", **fields):
    return Ping(app_id="a1b2c3d4", platform=platform, **fields)


def token(claims=None, key=KEY, kid=KID, **kwargs):
    payload = {"user_id": "42", "iat": int(time.time())} if claims is None else claims
    headers = {"kid": kid} if kid else None
    return jwt.encode(payload, key, algorithm="HS256", headers=headers, **kwargs)


def run(p, cfg=None, host=ORIGIN, now=NOW):
    return decide(p, cfg or config(), host, now)


def assert_failure(decision, code, enforced):
    """A failed proof: rejected (403/401) when enforced, served with a warning when not."""
    if not enforced:
        assert decision.status == 200
        assert decision.outcome == gateway.UNVERIFIED
        assert decision.body()["identity"] == "unverified"
        assert decision.body()["warning"] == code
        assert "WWW-Authenticate" not in decision.headers
        return
    body = decision.body()
    assert decision.outcome == gateway.REJECTED
    assert body["error"] == code
    assert body["message"] == gateway.MESSAGES[code]
    assert "identity" not in body
    if code == gateway.MISSING_USER_HASH:
        assert decision.status == 403
        assert "WWW-Authenticate" not in decision.headers
    else:
        assert decision.status == 401
        assert decision.headers["WWW-Authenticate"].startswith("Verity ")
        assert f'error="{code}"' in decision.headers["WWW-Authenticate"]


every_platform = pytest.mark.parametrize("platform", PLATFORMS)
both_modes = pytest.mark.parametrize("enforced", [True, False], ids=["enforced", "open"])


# --- visitors ----------------------------------------------------------------------


@every_platform
@both_modes
def test_a_visitor_is_served_without_proof(platform, enforced):
    decision = run(ping(platform, app_bundle="com.acme.app"), config(enforced=enforced))
    assert (decision.status, decision.body()) == (200, {"identity": "visitor"})
    assert not decision.identified


@both_modes
def test_a_user_hash_without_any_identifier_is_still_a_visitor(enforced):
    decision = run(ping(user_hash="0" * 64), config(enforced=enforced))
    assert decision.body() == {"identity": "visitor"}


# --- HMAC ------------------------------------------------------------------------------


@every_platform
@both_modes
def test_a_user_id_with_its_hash_is_verified(platform, enforced):
    p = ping(platform, user_id="42", user_hash=user_hash(SECRETS[platform], "42"))
    decision = run(p, config(enforced=enforced))
    assert (decision.status, decision.body()) == (200, {"identity": "verified"})
    assert decision.proof == f"hmac:{platform}:v2"
    assert decision.method == "hmac"


@every_platform
@both_modes
def test_an_email_alone_with_its_hash_is_verified(platform, enforced):
    email = "ann@example.com"
    p = ping(platform, email=email, user_hash=user_hash(SECRETS[platform], email))
    assert run(p, config(enforced=enforced)).outcome == gateway.VERIFIED


@every_platform
@both_modes
def test_the_user_id_wins_over_the_email(platform, enforced):
    secret = SECRETS[platform]
    good = ping(platform, user_id="42", email="a@x.io", user_hash=user_hash(secret, "42"))
    assert run(good, config(enforced=enforced)).outcome == gateway.VERIFIED
    bad = ping(platform, user_id="42", email="a@x.io", user_hash=user_hash(secret, "a@x.io"))
    assert_failure(run(bad, config(enforced=enforced)), gateway.INVALID_USER_HASH, enforced)


@both_modes
def test_the_hash_may_be_upper_case_hex(enforced):
    p = ping(user_id="42", user_hash=user_hash(SECRETS["web"], "42").upper())
    assert run(p, config(enforced=enforced)).outcome == gateway.VERIFIED


@every_platform
@both_modes
def test_an_identified_request_without_proof_is_missing_its_hash(platform, enforced):
    for fields in ({"user_id": "42"}, {"email": "ann@example.com"}):
        decision = run(ping(platform, **fields), config(enforced=enforced))
        assert_failure(decision, gateway.MISSING_USER_HASH, enforced)


@every_platform
@both_modes
def test_a_wrong_hash_is_invalid(platform, enforced):
    for wrong in ("0" * 64, user_hash(SECRETS[platform], "43"), "zz" * 32, "ab", "é" * 64):
        decision = run(ping(platform, user_id="42", user_hash=wrong), config(enforced=enforced))
        assert_failure(decision, gateway.INVALID_USER_HASH, enforced)


@both_modes
def test_another_platforms_secret_does_not_verify(enforced):
    p = ping("ios", user_id="42", user_hash=user_hash(SECRETS["web"], "42"))
    assert_failure(run(p, config(enforced=enforced)), gateway.INVALID_USER_HASH, enforced)


@both_modes
def test_identifiers_are_not_case_folded_or_trimmed(enforced):
    for sent, hashed in (("Ann", "ann"), (" ann", "ann"), ("ann", "ann ")):
        p = ping(email=sent, user_hash=user_hash(SECRETS["web"], hashed))
        assert_failure(run(p, config(enforced=enforced)), gateway.INVALID_USER_HASH, enforced)


@every_platform
@both_modes
def test_a_valid_hash_is_refused_when_hmac_is_not_allowed(platform, enforced):
    p = ping(platform, user_id="42", user_hash=user_hash(SECRETS[platform], "42"))
    decision = run(p, config(enforced=enforced, hmac_allowed=False))
    assert_failure(decision, gateway.HMAC_NOT_ALLOWED, enforced)


def test_a_retired_secret_verifies_until_its_valid_until_only():
    old = secrets.token_hex(32)
    p = ping(user_id="42", user_hash=user_hash(old, "42"))
    inside = config(
        enforced=True, extra_secrets=(SecretCandidate("hmac:web:v1", old, NOW + timedelta(1)),)
    )
    assert run(p, inside).proof == "hmac:web:v1"
    after = config(
        enforced=True, extra_secrets=(SecretCandidate("hmac:web:v1", old, NOW - timedelta(1)),)
    )
    assert_failure(run(p, after), gateway.INVALID_USER_HASH, True)


# --- JWT -------------------------------------------------------------------------------


@every_platform
@both_modes
def test_a_valid_jwt_alone_is_verified(platform, enforced):
    decision = run(ping(platform, user_jwt=token()), config(enforced=enforced))
    assert (decision.status, decision.body()) == (200, {"identity": "verified"})
    assert (decision.proof, decision.method, decision.identifier) == (f"jwt:{KID}", "jwt", "42")


@both_modes
def test_a_valid_jwt_with_the_same_user_id_in_the_body_is_verified(enforced):
    decision = run(ping(user_id="42", user_jwt=token()), config(enforced=enforced))
    assert decision.outcome == gateway.VERIFIED


@every_platform
@both_modes
def test_a_body_user_id_different_from_the_tokens_is_a_mismatch(platform, enforced):
    decision = run(ping(platform, user_id="43", user_jwt=token()), config(enforced=enforced))
    assert_failure(decision, tokens.JWT_USER_MISMATCH, enforced)


@every_platform
@both_modes
def test_a_body_email_different_from_the_tokens_is_a_mismatch(platform, enforced):
    signed = token({"user_id": "42", "email": "ann@example.com"})
    decision = run(
        ping(platform, email="eve@example.com", user_jwt=signed), config(enforced=enforced)
    )
    assert_failure(decision, tokens.JWT_USER_MISMATCH, enforced)


@both_modes
def test_a_body_email_the_token_does_not_carry_is_a_mismatch(enforced):
    # Nothing proves it: the impersonation the product exists to stop.
    decision = run(ping(email="eve@example.com", user_jwt=token()), config(enforced=enforced))
    assert_failure(decision, tokens.JWT_USER_MISMATCH, enforced)


@both_modes
def test_a_body_email_equal_to_the_tokens_is_verified(enforced):
    signed = token({"user_id": "42", "email": "ann@example.com"})
    for body in ({"email": "ann@example.com"}, {"user_id": "42", "email": "ann@example.com"}, {}):
        decision = run(ping(user_jwt=signed, **body), config(enforced=enforced))
        assert decision.outcome == gateway.VERIFIED, body


@both_modes
def test_the_same_email_in_another_case_is_a_mismatch(enforced):
    # Identifiers are used exactly as sent (SPEC §2): no case folding.
    signed = token({"user_id": "42", "email": "ann@example.com"})
    decision = run(ping(email="Ann@example.com", user_jwt=signed), config(enforced=enforced))
    assert_failure(decision, tokens.JWT_USER_MISMATCH, enforced)


@both_modes
def test_a_jwt_is_accepted_even_when_hmac_is_not_allowed(enforced):
    cfg = config(enforced=enforced, hmac_allowed=False)
    assert run(ping(user_jwt=token()), cfg).outcome == gateway.VERIFIED


@both_modes
def test_a_present_jwt_is_always_the_one_checked_even_beside_a_valid_hash(enforced):
    good_hash = user_hash(SECRETS["web"], "42")
    p = ping(user_id="42", user_hash=good_hash, user_jwt=token(key=secrets.token_urlsafe(32)))
    assert_failure(run(p, config(enforced=enforced)), tokens.JWT_INVALID_SIGNATURE, enforced)


def _expired():
    return token({"user_id": "42", "exp": int(time.time()) - 600})


def _not_yet():
    return token({"user_id": "42", "nbf": int(time.time()) + 600})


def _hs512():
    return jwt.encode({"user_id": "42"}, KEY + KEY, algorithm="HS512", headers={"kid": KID})


JWT_FAILURES = {
    tokens.JWT_MALFORMED: lambda: "not.a.jwt",
    tokens.JWT_BAD_ALGORITHM: _hs512,
    tokens.JWT_UNKNOWN_KEY: lambda: token(kid="mk_gone"),
    tokens.JWT_INVALID_SIGNATURE: lambda: token(key=secrets.token_urlsafe(32)),
    tokens.JWT_EXPIRED: _expired,
    tokens.JWT_NOT_YET_VALID: _not_yet,
    tokens.JWT_MISSING_USER_ID: lambda: token({"email": "ann@example.com"}),
}


@pytest.mark.parametrize("code", sorted(JWT_FAILURES))
@every_platform
@both_modes
def test_every_jwt_failure_is_rejected_when_enforced_and_a_warning_when_not(
    code, platform, enforced
):
    decision = run(ping(platform, user_jwt=JWT_FAILURES[code]()), config(enforced=enforced))
    assert_failure(decision, code, enforced)


def test_a_jwt_signed_with_an_expired_grace_key_is_refused():
    old_key = secrets.token_urlsafe(32)
    keys = (
        tokens.KeyCandidate(KID, KEY),
        tokens.KeyCandidate("mk_old", old_key, NOW - timedelta(seconds=1)),
    )
    decision = run(ping(user_jwt=token(key=old_key, kid="mk_old")), config(True, keys=keys))
    assert_failure(decision, tokens.JWT_UNKNOWN_KEY, True)


def test_a_jwt_signed_with_a_key_in_grace_is_verified_and_says_which_key():
    old_key = secrets.token_urlsafe(32)
    keys = (
        tokens.KeyCandidate(KID, KEY),
        tokens.KeyCandidate("mk_old", old_key, NOW + timedelta(hours=1)),
    )
    decision = run(ping(user_jwt=token(key=old_key, kid=None)), config(True, keys=keys))
    assert decision.proof == "jwt:mk_old"


# --- trusted domains ---------------------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    ["https://app.acme.test", "HTTPS://APP.ACME.TEST", "https://app.acme.test:8443"],
)
@both_modes
def test_an_origin_on_the_list_passes(origin, enforced):
    cfg = config(enforced=enforced, trusted=["app.acme.test"])
    assert run(ping(), cfg, host=origin_host(origin)).body() == {"identity": "visitor"}


@pytest.mark.parametrize(
    "origin",
    ["https://evil.test", "https://acme.test", "https://app.acme.test.evil.test", None, "null"],
)
@both_modes
def test_an_origin_off_the_list_is_untrusted_whatever_the_enforcement(origin, enforced):
    cfg = config(enforced=enforced, trusted=["app.acme.test"])
    good = user_hash(SECRETS["web"], "42")
    for p in (ping(), ping(user_id="42", user_hash=good)):
        decision = run(p, cfg, host=origin_host(origin))
        assert decision.status == 403
        assert decision.body()["error"] == gateway.UNTRUSTED_DOMAIN


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://shop.acme.test", True),
        ("https://a.b.acme.test", True),
        ("https://acme.test", False),
        ("https://notacme.test", False),
        ("https://acme.test.evil.io", False),
    ],
)
def test_a_wildcard_covers_subdomains_only(origin, allowed):
    cfg = config(trusted=["*.acme.test"])
    assert (run(ping(), cfg, host=origin_host(origin)).status == 200) is allowed


@pytest.mark.parametrize("entry", ["Bücher.de", "xn--bcher-kva.de", "BÜCHER.DE"])
@pytest.mark.parametrize("origin", ["https://bücher.de", "https://xn--bcher-kva.de"])
def test_international_names_match_in_either_spelling(entry, origin):
    assert run(ping(), config(trusted=[entry]), host=origin_host(origin)).status == 200


@pytest.mark.parametrize("platform", ["ios", "android"])
def test_mobile_requests_ignore_the_trusted_domain_list(platform):
    assert run(ping(platform), config(trusted=["app.acme.test"]), host=None).status == 200


def test_an_empty_list_trusts_every_origin():
    assert run(ping(), config(), host=None).status == 200


# --- response shapes ---------------------------------------------------------------


def test_an_unverified_body_carries_the_warning_and_a_message():
    body = run(ping(user_id="42"), config(enforced=False)).body()
    assert body["warning"] == gateway.MISSING_USER_HASH
    assert body["message"] == gateway.MESSAGES[gateway.MISSING_USER_HASH]


def test_every_failure_code_has_a_message():
    codes = [gateway.MISSING_USER_HASH, gateway.INVALID_USER_HASH, gateway.HMAC_NOT_ALLOWED]
    codes += list(JWT_FAILURES) + [tokens.JWT_USER_MISMATCH, gateway.UNTRUSTED_DOMAIN]
    assert all(gateway.MESSAGES.get(code) for code in codes)


def test_unknown_app_and_bad_request_decisions_have_their_codes():
    assert (gateway.unknown_app().status, gateway.unknown_app().body()["error"]) == (
        404,
        "unknown_app",
    )
    bad = gateway.bad_request("nope", {"platform": "x"})
    assert bad.body() == {"error": "bad_request", "message": "nope", "fields": {"platform": "x"}}
