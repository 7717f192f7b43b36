"""JWKS URLs (issue 19): registering at both doors (every role, every refusal), what a
fetch from a real local HTTPS server stores, a failed fetch keeping the last good set,
the caps, the SSRF guard through the job, revoking, and a dump holding nothing that signs."""

import json
from io import StringIO

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import call_command
from django.urls import reverse
from jwt.algorithms import ECAlgorithm
from rest_framework.test import APIClient

from security import jwks_refresh
from security.actions import jwks as jwks_actions
from security.actions.jwt_keys import (
    register_public_key,
    reveal_messenger_key,
    revoke_messenger_key,
)
from security.models import JwksSet, MessengerKey
from security.snapshots import load_config
from tests.factories import PASSWORD
from tests.jwks_server import jwks_server_fixture, trusting_fixture  # noqa: F401 (fixtures)
from workspaces.models import AuditEvent, ConfigGeneration
from workspaces.refusals import Refused

pytestmark = pytest.mark.django_db


def key_pair():
    private = ec.generate_private_key(ec.SECP256R1())
    return private, json.loads(ECAlgorithm.to_jwk(private.public_key()))


def public_jwk(kid, **members):
    return {**key_pair()[1], "kid": kid, **members}


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def endpoint(workspace):
    return f"/api/v1/workspaces/{workspace.app_id}/jwt-keys/"


def register(workspace, personas, url, **kwargs):
    return jwks_actions.register_jwks_url(
        workspace, jwks_url=url, actor=personas["admin"], **kwargs
    )


def generation():
    return ConfigGeneration.objects.values_list("value", flat=True).first() or 0


def sources():
    return MessengerKey.objects.filter(algorithm="JWKS")


# --- registering ---------------------------------------------------------------------------


def test_an_admin_registers_a_jwks_url_through_the_api(workspace, personas):
    before = generation()
    body = {"jwks_url": "https://auth.example.com/.well-known/jwks.json", "kid": "auth"}
    response = api(personas["admin"]).post(endpoint(workspace), body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["kid"], data["algorithm"], data["state"], data["public_key"]) == (
        "auth",
        "JWKS",
        "active",
        None,
    )
    assert data["jwks_url"] == body["jwks_url"]
    assert data["jwks"]["keys"] == [] and data["jwks"]["fetched_at"] is None
    assert generation() > before
    event = AuditEvent.objects.get(action="jwt_key.jwks_registered")
    assert (event.target, event.after["jwks_url"]) == ("auth", body["jwks_url"])
    reveal = api(personas["admin"]).post(
        f"{endpoint(workspace)}auth/reveal", {"password": PASSWORD}, format="json"
    )
    assert (reveal.status_code, reveal.json()["error"]) == (409, "nothing_to_reveal")


def test_a_generated_name_starts_with_jwks(workspace, personas):
    source = register(workspace, personas, "https://auth.example.com/jwks.json")
    assert source.kid.startswith("jwks_mk_")


@pytest.mark.parametrize(
    "role, status", [("developer", 403), ("viewer", 403), ("outsider", 404), ("support", 404)]
)
def test_only_an_admin_registers_a_jwks_url_through_the_api(workspace, personas, role, status):
    body = {"jwks_url": "https://auth.example.com/jwks.json"}
    assert api(personas[role]).post(endpoint(workspace), body, format="json").status_code == status
    assert not sources().exists()


def test_every_role_of_the_workspace_lists_the_source_and_its_keys(workspace, personas, trusting):
    trusting.publish(public_jwk("k1"))
    source = register(workspace, personas, trusting.url())
    jwks_actions.fetch_source(source.pk)
    for role in ("admin", "developer", "viewer"):
        listed = api(personas[role]).get(endpoint(workspace)).json()
        row = next(r for r in listed if r["algorithm"] == "JWKS")
        assert [(k["kid"], k["alg"]) for k in row["jwks"]["keys"]] == [("k1", "ES256")]
    assert api(personas["outsider"]).get(endpoint(workspace)).status_code == 404


@pytest.mark.parametrize(
    "url, code",
    [
        ("http://auth.example.com/jwks.json", "jwks_url_not_https"),
        ("https://user:pw@auth.example.com/jwks.json", "invalid_jwks_url"),
        ("not a url", "jwks_url_not_https"),
    ],
)
def test_a_bad_url_is_refused_alike_at_both_doors(client, workspace, personas, url, code):
    response = api(personas["admin"]).post(endpoint(workspace), {"jwks_url": url}, format="json")
    assert (response.status_code, response.json()["error"]) == (400, code)
    client.force_login(personas["admin"])
    page = client.post(register_url(workspace), {"jwks_url": url})
    assert page.status_code == 400
    assert response.json()["message"] in page.content.decode().replace("&#x27;", "'")
    assert not sources().exists()


@pytest.mark.parametrize(
    "body",
    [
        {"jwks_url": "https://a.example.com/j", "public_key": "x"},
        {"jwks_url": "https://a.example.com/j", "algorithm": "ES256"},
        {"jwks_url": 42},
        {"jwks_url": ""},
        {"kid": "x"},
    ],
)
def test_the_api_refuses_mixed_or_malformed_bodies(workspace, personas, body):
    response = api(personas["admin"]).post(endpoint(workspace), body, format="json")
    assert response.status_code == 400
    assert not sources().exists()


def test_a_url_registered_twice_and_a_sixth_source_are_refused(workspace, personas):
    register(workspace, personas, "https://a.example.com/jwks.json")
    with pytest.raises(Refused) as caught:
        register(workspace, personas, "https://a.example.com/jwks.json")
    assert (caught.value.code, caught.value.status) == ("jwks_url_taken", 409)
    for n in range(4):
        register(workspace, personas, f"https://b{n}.example.com/jwks.json")
    with pytest.raises(Refused) as caught:
        register(workspace, personas, "https://c.example.com/jwks.json")
    assert caught.value.code == "too_many_jwks_urls"


# --- the console ---------------------------------------------------------------------------


def page(workspace):
    return reverse("security:jwt-keys", kwargs={"app_id": workspace.app_id})


def register_url(workspace):
    return reverse("security:jwt-register-jwks", kwargs={"app_id": workspace.app_id})


def test_an_admin_registers_a_jwks_url_on_the_keys_page(client, workspace, personas):
    client.force_login(personas["admin"])
    response = client.post(
        register_url(workspace), {"jwks_url": "https://auth.example.com/jwks.json", "kid": "auth"}
    )
    assert response.status_code == 302
    shown = client.get(page(workspace)).content.decode()
    assert 'data-kid="auth" data-state="active"' in shown
    assert "https://auth.example.com/jwks.json" in shown
    assert "Not fetched yet" in shown


@pytest.mark.parametrize(
    "role, status", [("developer", 403), ("viewer", 403), ("outsider", 404), ("support", 404)]
)
def test_only_an_admin_registers_in_the_console(client, workspace, personas, role, status):
    client.force_login(personas[role])
    body = {"jwks_url": "https://auth.example.com/jwks.json"}
    assert client.post(register_url(workspace), body).status_code == status
    assert not sources().exists()


@pytest.mark.parametrize("role", ["developer", "viewer"])
def test_only_admins_see_the_jwks_form(client, workspace, personas, role):
    client.force_login(personas[role])
    assert 'data-testid="jwks-form"' not in client.get(page(workspace)).content.decode()
    client.force_login(personas["admin"])
    assert 'data-testid="jwks-form"' in client.get(page(workspace)).content.decode()


def test_the_page_shows_the_last_good_set_and_since_when_fetches_fail(
    client, workspace, personas, trusting
):
    trusting.publish(public_jwk("k1"), public_jwk("k2", alg="ES256"))
    source = register(workspace, personas, trusting.url(), kid="auth")
    jwks_actions.fetch_source(source.pk)
    client.force_login(personas["viewer"])
    shown = client.get(page(workspace)).content.decode()
    assert 'data-jwks-health="ok"' in shown
    assert 'data-jwks-kid="k1"' in shown and 'data-jwks-kid="k2"' in shown
    assert "Last successful fetch" in shown

    trusting.serve("/jwks.json", b"maintenance", status=503)
    jwks_actions.fetch_source(source.pk)
    shown = client.get(page(workspace)).content.decode()
    assert 'data-jwks-health="failing"' in shown
    assert "Last fetch failed since" in shown
    assert "the server answered HTTP 503; still using the set fetched at" in shown
    assert 'data-jwks-kid="k1"' in shown  # the last good set, still in use


# --- fetching ------------------------------------------------------------------------------


def test_a_fetch_stores_the_keys_and_every_gateway_process_gets_them(workspace, personas, trusting):
    private, jwk = key_pair()
    trusting.publish({**jwk, "kid": "k1"})
    source = register(workspace, personas, trusting.url(), kid="auth")
    before = generation()
    fetched = jwks_actions.fetch_source(source.pk)
    assert [(k["kid"], k["alg"]) for k in fetched.keys] == [("k1", "ES256")]
    assert fetched.fetched_at is not None and fetched.failing_since is None
    assert generation() > before
    config = load_config(workspace.app_id)
    candidate = next(c for c in config.jwt_keys if c.kid == "k1")
    assert (candidate.algorithm, candidate.source) == ("ES256", "auth")
    assert config.jwks_sources[0].kids == ("k1",)
    # The same set again: no news, no config bump, no audit row.
    quiet = generation()
    jwks_actions.fetch_source(source.pk)
    assert generation() == quiet
    assert AuditEvent.objects.filter(action="jwt_key.jwks_fetched").count() == 1


def test_a_failed_fetch_keeps_the_last_good_set(workspace, personas, trusting):
    trusting.publish(public_jwk("k1"))
    source = register(workspace, personas, trusting.url())
    good = jwks_actions.fetch_source(source.pk)
    fetched_at = good.fetched_at
    for body, status in ((b"oops", 500), (b"<html>", 200), (b'{"keys": 3}', 200)):
        trusting.serve("/jwks.json", body, status=status)
        failed = jwks_actions.fetch_source(source.pk)
        assert [k["kid"] for k in failed.keys] == ["k1"]
        assert failed.fetched_at == fetched_at
        assert failed.failing_since is not None and failed.error
    assert [c.kid for c in load_config(workspace.app_id).jwt_keys if c.source] == ["k1"]
    trusting.publish(public_jwk("k2"))
    recovered = jwks_actions.fetch_source(source.pk)
    assert (recovered.failing_since, recovered.error) == (None, "")
    assert [k["kid"] for k in recovered.keys] == ["k2"]


@pytest.mark.parametrize(
    "setting, value, serve, reason",
    [
        ("VERITY_JWKS_MAX_BYTES", 1024, {"body": b"x" * 2048}, "larger than 1024 bytes"),
        ("VERITY_JWKS_TIMEOUT_SECONDS", 0.3, {"body": b'{"keys": []}', "delay": 1.5}, "in time"),
        ("VERITY_JWKS_MAX_KEYS", 2, None, "3 keys, more than the 2 allowed"),
    ],
)
def test_each_cap_fails_the_fetch_and_keeps_the_last_good_set(
    settings, workspace, personas, trusting, setting, value, serve, reason
):
    trusting.publish(public_jwk("k1"))
    source = register(workspace, personas, trusting.url())
    jwks_actions.fetch_source(source.pk)
    setattr(settings, setting, value)
    if serve is None:
        trusting.publish(public_jwk("a"), public_jwk("b"), public_jwk("c"))
    else:
        trusting.serve("/jwks.json", **serve)
    failed = jwks_actions.fetch_source(source.pk)
    assert reason in failed.error
    assert [k["kid"] for k in failed.keys] == ["k1"]


def test_the_job_refuses_a_private_address_when_the_guard_is_on(
    settings, workspace, personas, trusting
):
    settings.VERITY_JWKS_ALLOW_PRIVATE_ADDRESSES = False
    trusting.publish(public_jwk("k1"))
    source = register(workspace, personas, trusting.url())
    failed = jwks_actions.fetch_source(source.pk)
    assert "public addresses only" in failed.error
    assert failed.keys == [] and trusting.hits == {}
    event = AuditEvent.objects.get(action="jwt_key.jwks_fetch_failed")
    assert "public addresses only" in event.after["error"]


def test_a_kid_another_key_has_is_skipped(workspace, personas, trusting):
    _, jwk = key_pair()
    register_public_key(
        workspace,
        algorithm="ES256",
        public_key=json.dumps(jwk),
        kid="mine",
        actor=personas["admin"],
    )
    trusting.publish(public_jwk("mine"), public_jwk("theirs"))
    source = register(workspace, personas, trusting.url())
    fetched = jwks_actions.fetch_source(source.pk)
    assert [k["kid"] for k in fetched.keys] == ["theirs"]
    assert fetched.skipped[0]["kid"] == "mine"
    config = load_config(workspace.app_id)
    assert [c.source for c in config.jwt_keys if c.kid == "mine"] == [None]


def test_a_revoked_source_stops_at_once_and_is_not_fetched_again(workspace, personas, trusting):
    trusting.publish(public_jwk("k1"))
    source = register(workspace, personas, trusting.url(), kid="auth")
    jwks_actions.fetch_source(source.pk)
    revoke_messenger_key(workspace, "auth", actor=personas["admin"])
    assert not any(c.source for c in load_config(workspace.app_id).jwt_keys)
    assert load_config(workspace.app_id).jwks_sources == ()
    hits = trusting.hits["/jwks.json"]
    assert jwks_actions.fetch_source(source.pk) is None
    assert trusting.hits["/jwks.json"] == hits


def test_refetches_are_asked_at_most_once_a_minute_per_source(
    monkeypatch, workspace, personas, redis_client
):
    published = []
    monkeypatch.setattr(jwks_refresh, "publish", published.append)
    a = register(workspace, personas, "https://a.example.com/jwks.json")
    b = register(workspace, personas, "https://b.example.com/jwks.json")
    assert jwks_actions.refresh_all() == 2
    assert jwks_actions.refresh_all() == 0  # another process, the same minute
    assert sorted(published) == sorted([a.pk, b.pk])
    assert 0 < redis_client.ttl(f"verity:1:jwks-fetch:{a.pk}") <= 60


# --- nothing stored can sign ---------------------------------------------------------------


def test_a_dump_after_fetching_a_jwks_holds_nothing_that_signs(workspace, personas, trusting):
    """Even a JWKS that wrongly publishes a private key leaves nothing able to sign in
    Verity's database: that key is skipped, never stored."""
    private, jwk = key_pair()
    leaked, leaked_jwk = ec.generate_private_key(ec.SECP256R1()), None
    leaked_jwk = {**json.loads(ECAlgorithm.to_jwk(leaked)), "kid": "leaked"}
    trusting.publish({**jwk, "kid": "k1"}, leaked_jwk)
    source = register(workspace, personas, trusting.url())
    fetched = jwks_actions.fetch_source(source.pk)
    assert [k["kid"] for k in fetched.keys] == ["k1"]
    out = StringIO()
    call_command("dumpdata", "security", "workspaces", stdout=out)
    dump = out.getvalue()
    for secret in (
        json.loads(ECAlgorithm.to_jwk(private))["d"],
        leaked_jwk["d"],
    ):
        assert secret not in dump
    assert "PRIVATE" not in dump
    rows = [r for r in json.loads(dump) if r["model"] == "security.jwksset"]
    (stored,) = rows[0]["fields"]["keys"]
    loaded = serialization.load_pem_public_key(stored["pem"].encode())
    assert loaded.public_numbers() == private.public_key().public_numbers()
    assert not hasattr(loaded, "sign")
    assert MessengerKey.objects.get(pk=source.pk).ciphertext == ""
    assert JwksSet.objects.count() == 1


def test_reveal_of_a_jwks_source_is_refused(workspace, personas):
    register(workspace, personas, "https://a.example.com/jwks.json", kid="auth")
    with pytest.raises(Refused) as caught:
        reveal_messenger_key(workspace, "auth", actor=personas["admin"], proof=PASSWORD)
    assert caught.value.code == "nothing_to_reveal"
