"""Hostile request bodies never produce a 500, and never a `verified` without proof.

Property tests over the body of POST /messenger/v1/ping on a workspace whose three
platforms are enforced. The oracle for "has valid proof" is computed independently of
security.gateway (hmac/hashlib for hashes, the set of tokens this test minted for JWTs).
"""

import hashlib
import hmac
import json

import jwt
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from installcheck import counting, ping
from security.actions.platforms import set_enforcement
from tests.factories import current_key, secret_of

URL = "/messenger/v1/ping"
PLATFORMS = ("web", "ios", "android")
VALID_HASH = "<valid hash>"
VALID_JWT = "<valid jwt>"

# Kept small so the whole file runs in a few seconds; CI can raise it with a profile.
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

odd_chars = st.characters() | st.sampled_from(
    ["\x00", "\ud800", "\udfff", "\t", "\n", "é", "💥", "\u202e", "\ufeff"]
)
odd_text = st.text(odd_chars, max_size=40)
json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(odd_chars, max_size=10)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(odd_text, inner, max_size=3),
    max_leaves=6,
)
hashish = st.one_of(
    st.just(VALID_HASH),
    st.text("0123456789abcdefABCDEF", min_size=63, max_size=65),
    st.text("0123456789abcdefxyzé\x00 ", min_size=64, max_size=64),
    odd_text,
)
tokenish = st.one_of(
    st.just(VALID_JWT),
    st.builds(lambda a, b, c: f"{a}.{b}.{c}", odd_text, odd_text, odd_text),
    odd_text,
)
identifierish = st.one_of(st.sampled_from(["42", "ann@example.com", "Ann"]), odd_text)


def _fields(strings_only):
    """Strategies per field: any JSON value, or (strings_only) hostile strings."""
    anything = st.nothing() if strings_only else json_values
    return {
        "user_id": identifierish | anything,
        "email": identifierish | anything,
        "user_hash": hashish | anything,
        "user_jwt": tokenish | anything,
        "app_bundle": odd_text | anything,
        "app_version": odd_text | anything,
        "extra": json_values,
    }


@st.composite
def bodies(draw, well_formed=False):
    """(data, ascii_only): a body; ``well_formed`` keeps a real app_id and platform so
    that the draws reach the decision table instead of stopping at a 400."""
    if well_formed:
        required = {"app_id": st.just("<app>"), "platform": st.sampled_from(PLATFORMS)}
        optional = _fields(strings_only=True)
    else:
        required = {}
        optional = {
            "app_id": st.one_of(st.just("<app>"), odd_text, json_values),
            "platform": st.one_of(st.sampled_from(PLATFORMS), odd_text, json_values),
            **_fields(strings_only=False),
        }
    data = draw(st.fixed_dictionaries(required, optional=optional))
    return data, draw(st.booleans())


@pytest.fixture
def gateway(db, workspace, monkeypatch, settings):
    """An all-enforced workspace, its secrets, and counting into the database."""
    for platform in PLATFORMS:
        set_enforcement(workspace, platform, True, actor=None)
    # Counting goes to the database here: hostile values must not break a batch.
    settings.REDIS_URL = None
    buffer = counting.CountBuffer()
    monkeypatch.setattr(ping, "buffer", buffer)
    kid, key = current_key(workspace)
    return {
        "app_id": workspace.app_id,
        "secrets": {p: secret_of(workspace, p) for p in PLATFORMS},
        "token": jwt.encode({"user_id": "42"}, key, algorithm="HS256", headers={"kid": kid}),
        "buffer": buffer,
    }


def secret_for(data, gw):
    platform = data.get("platform")
    return gw["secrets"].get(platform) if isinstance(platform, str) else None


def materialise(data, gw):
    """Replace the placeholders by the real app_id and a valid proof."""
    data = dict(data)
    if data.get("app_id") == "<app>":
        data["app_id"] = gw["app_id"]
    if data.get("user_jwt") == VALID_JWT:
        data["user_jwt"] = gw["token"]
    if data.get("user_hash") == VALID_HASH:
        identifier = data.get("user_id") if data.get("user_id") is not None else data.get("email")
        secret = secret_for(data, gw)
        if isinstance(identifier, str) and secret:
            message = identifier.encode("utf-8", "surrogatepass")
            data["user_hash"] = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return data


def has_valid_proof(data, gw):
    if data.get("user_jwt") is not None:
        return data["user_jwt"] == gw["token"] and data.get("user_id") in (None, "42")
    identifier = data.get("user_id") if data.get("user_id") is not None else data.get("email")
    secret = secret_for(data, gw)
    given = data.get("user_hash")
    if not (isinstance(identifier, str) and secret and isinstance(given, str)):
        return False
    try:
        expected = hmac.new(secret.encode(), identifier.encode(), hashlib.sha256).hexdigest()
    except UnicodeEncodeError:
        return False
    return given.lower() == expected and given.isascii()


def check(response):
    """The invariants every gateway response keeps; returns the JSON body."""
    assert response.status_code in (200, 400, 401, 403, 404, 413), response.status_code
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert ("error" in body) != ("identity" in body)
    assert body["request_id"] == response["X-Request-ID"]
    # Every platform is enforced: nothing identified is ever served unverified.
    assert body.get("identity") in (None, "visitor", "verified")
    return body


def post_raw(client, raw):
    return client.post(URL, raw, content_type="application/json")


@PROPERTY
@given(drawn=bodies())
@example(drawn=({"app_id": "<app>", "platform": "web", "user_id": "\ud800"}, True))
@example(drawn=({"app_id": "<app>", "platform": "ios", "user_id": "4\x002"}, False))
@example(drawn=({"app_id": "<app>", "platform": "web", "user_id": ["42"]}, True))
@example(drawn=({"app_id": "<app>", "platform": "web", "email": None, "user_hash": {}}, True))
@example(drawn=({"app_id": "<app>", "platform": "web", "user_id": "42", "user_hash": "é" * 64}, 0))
@example(drawn=({"app_id": "<app>", "platform": "android", "user_jwt": VALID_JWT}, True))
def test_no_body_gives_a_500_or_an_unproven_verified(client, gateway, drawn):
    _send_and_check(client, gateway, drawn)


@PROPERTY
@given(drawn=bodies(well_formed=True))
def test_no_well_formed_ping_with_hostile_values_is_verified_without_proof(client, gateway, drawn):
    _send_and_check(client, gateway, drawn)


def _send_and_check(client, gateway, drawn):
    data, ascii_only = drawn
    data = materialise(data, gateway)
    raw = json.dumps(data, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    body = check(post_raw(client, raw))
    event(body.get("identity") or body["error"])
    if body.get("identity") == "verified":
        assert has_valid_proof(data, gateway), data
    # Whatever was counted can be written: hostile values never poison a batch.
    gateway["buffer"].flush()
    assert gateway["buffer"].dropped == 0


@PROPERTY
@given(raw=st.binary(max_size=9000))
@example(raw=b"\x00" * 100)
@example(raw=b'{"app_id": "\x00", "platform": "web"}')
@example(raw=b'\xef\xbb\xbf{"app_id": "x", "platform": "web"}')
def test_random_bytes_give_a_json_error_never_a_500(client, gateway, raw):
    check(post_raw(client, raw))


@pytest.mark.parametrize("depth", [10, 1000, 4000])
def test_deep_nesting_is_a_bad_request_or_too_large(client, gateway, depth):
    raw = '{"app_id": ' + "[" * depth + "]" * depth + ', "platform": "web"}'
    body = check(post_raw(client, raw))
    assert body["error"] in ("bad_request", "payload_too_large")


@pytest.mark.parametrize(
    "raw",
    [
        b"{" * 8000,
        b"[" * 8192,
        b'{"a":' * 1300 + b"1" + b"}" * 1300,
    ],
    ids=["open-braces", "open-brackets", "nested-objects"],
)
def test_pathological_json_under_the_cap_is_a_bad_request(client, gateway, raw):
    assert check(post_raw(client, raw))["error"] == "bad_request"


def test_a_one_megabyte_json_body_is_refused_unread(client, gateway):
    data = {"app_id": gateway["app_id"], "platform": "web", "user_id": "x" * (1 << 20)}
    body = check(post_raw(client, json.dumps(data)))
    assert body["error"] == "payload_too_large"


def test_a_one_megabyte_binary_body_is_refused(client, gateway):
    assert check(post_raw(client, b"\xff" * (1 << 20)))["error"] == "payload_too_large"


@pytest.mark.parametrize("length", [63, 65, 128])
def test_hashes_of_the_wrong_length_are_invalid(client, gateway, length):
    data = {"app_id": gateway["app_id"], "platform": "web", "user_id": "42"}
    body = check(post_raw(client, json.dumps({**data, "user_hash": "a" * length})))
    assert body["error"] == "invalid_user_hash"


@pytest.mark.parametrize(
    "given", ["g" * 64, "é" * 64, "٣" * 64, "\uff10" * 64, " " + "a" * 63, "0x" + "a" * 62]
)
def test_non_hex_or_non_ascii_hashes_are_invalid(client, gateway, given):
    data = {"app_id": gateway["app_id"], "platform": "web", "user_id": "42", "user_hash": given}
    assert check(post_raw(client, json.dumps(data)))["error"] == "invalid_user_hash"
