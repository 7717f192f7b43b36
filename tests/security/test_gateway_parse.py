"""security.gateway.parse_ping: step 1 of the decision table (400 for bad bodies)."""

import json

import pytest

from security.gateway import DUPLICATE_KEY, BadPing, Ping, parse_ping


def body(**fields):
    return json.dumps({"app_id": "a1b2c3d4", "platform": "web", **fields}).encode()


def test_a_minimal_ping_parses():
    assert parse_ping(body()) == Ping(app_id="a1b2c3d4", platform="web")


def test_every_field_is_read():
    fields = {
        "user_id": "42",
        "email": "ann@example.com",
        "user_hash": "ab" * 32,
        "user_jwt": "a.b.c",
        "app_bundle": "com.acme.app",
        "app_version": "5.2.0",
    }
    assert parse_ping(body(platform="ios", **fields)) == Ping(
        app_id="a1b2c3d4", platform="ios", **fields
    )


def test_unknown_fields_are_ignored_and_null_means_absent():
    assert parse_ping(body(colour="red", user_id=None)) == Ping("a1b2c3d4", "web")


@pytest.mark.parametrize(
    "raw", [b"", b"{", b"not json", b"[]", b'"ping"', b"null", b"42", b"\xff\xfe\x00"]
)
def test_a_body_that_is_not_a_json_object_is_a_bad_request(raw):
    with pytest.raises(BadPing):
        parse_ping(raw)


@pytest.mark.parametrize("missing", ["app_id", "platform"])
def test_app_id_and_platform_are_required(missing):
    data = {"app_id": "a1b2c3d4", "platform": "web"}
    del data[missing]
    with pytest.raises(BadPing) as caught:
        parse_ping(json.dumps(data))
    assert missing in caught.value.fields


@pytest.mark.parametrize("platform", ["WEB", "windows", "", "web "])
def test_an_unknown_platform_is_a_bad_request(platform):
    with pytest.raises(BadPing) as caught:
        parse_ping(body(platform=platform))
    assert "platform" in caught.value.fields


@pytest.mark.parametrize("name", ["app_id", "platform", "user_id", "email", "user_hash"])
@pytest.mark.parametrize("value", [42, 4.2, True, ["42"], {"id": "42"}])
def test_a_non_string_in_a_string_field_is_a_bad_request(name, value):
    with pytest.raises(BadPing) as caught:
        parse_ping(body(**{name: value}))
    assert caught.value.fields[name] == "Must be a string."


@pytest.mark.parametrize("name", ["user_id", "email"])
def test_identifiers_over_255_characters_are_refused(name):
    assert getattr(parse_ping(body(**{name: "x" * 255})), name) == "x" * 255
    with pytest.raises(BadPing) as caught:
        parse_ping(body(**{name: "x" * 256}))
    assert name in caught.value.fields


@pytest.mark.parametrize("name", ["user_id", "email", "user_hash", "user_jwt"])
def test_an_empty_identifier_or_proof_is_a_bad_request(name):
    with pytest.raises(BadPing) as caught:
        parse_ping(body(**{name: ""}))
    assert name in caught.value.fields


def test_an_empty_app_version_counts_as_absent():
    assert parse_ping(body(app_version="")).app_version is None


def test_a_lone_surrogate_is_a_bad_request_not_a_crash():
    raw = b'{"app_id": "a1b2c3d4", "platform": "web", "user_id": "\\ud800"}'
    with pytest.raises(BadPing) as caught:
        parse_ping(raw)
    assert "user_id" in caught.value.fields


@pytest.mark.parametrize("name", ["app_id", "user_id", "email", "app_bundle", "app_version"])
def test_a_nul_character_is_a_bad_request(name):
    # NUL cannot be stored in PostgreSQL text: refusing it here keeps one hostile
    # request from poisoning a whole counting batch or the app_id lookup.
    with pytest.raises(BadPing) as caught:
        parse_ping(body(**{name: "a\x00b"}))
    assert name in caught.value.fields


def test_deep_nesting_is_a_bad_request_not_a_crash():
    with pytest.raises(BadPing):
        parse_ping(b"[" * 100_000 + b"]" * 100_000)


def test_identifiers_are_kept_exactly_as_sent():
    parsed = parse_ping(body(user_id=" Ann ", email="ANN@Example.com"))
    assert (parsed.user_id, parsed.email) == (" Ann ", "ANN@Example.com")


@pytest.mark.parametrize(
    "raw",
    [
        b'{"app_id": "a1b2c3d4", "platform": "web", "user_id": "1", "user_id": "2"}',
        b'{"app_id": "a1b2c3d4", "platform": "web", "platform": "web"}',
        b'{"app_id": "a1b2c3d4", "platform": "web", "x": [{"k": 1, "k": 1}]}',
        '{"app_id": "a1b2c3d4", "platform": "web", "app_id": "a1b2c3d4"}'.encode("utf-16"),
    ],
)
def test_a_repeated_key_anywhere_is_refused_not_resolved(raw):
    with pytest.raises(BadPing) as caught:
        parse_ping(raw)
    assert caught.value.code == DUPLICATE_KEY
    assert caught.value.decision().status == 400


def test_bodies_in_any_json_encoding_still_parse():
    raw = '{"app_id": "a1b2c3d4", "platform": "web"}'
    for encoding in ("utf-8", "utf-8-sig", "utf-16", "utf-32"):
        assert parse_ping(raw.encode(encoding)) == Ping("a1b2c3d4", "web"), encoding
