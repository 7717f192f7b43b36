"""Tokens verified through a JWKS URL at the real gateway endpoint (issue 19): minted by
node ``jose`` for ES256, EdDSA and RS256, the public keys published by a real local HTTPS
server and fetched by the job's function; every algorithm-confusion case against a JWKS
key; an unknown kid asks for a refetch without waiting for it; the verification log
names the JWKS causes."""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest

from installcheck import fold as folding
from installcheck.counting import buffer
from security import jwks_refresh
from security.actions import jwks as jwks_actions
from security.actions.platforms import set_enforcement
from security.snapshots import snapshots
from tests.factories import current_key
from tests.installcheck.test_ping_public_keys import minted, ping
from tests.jwks_server import jwks_server_fixture, trusting_fixture  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def enforced(workspace, personas):
    set_enforcement(workspace, "ios", True, actor=None)
    return workspace


@pytest.fixture
def asked(monkeypatch):
    """The refetches the gateway asks for (published to the broker in production)."""
    published = []
    monkeypatch.setattr(jwks_refresh, "publish", published.append)
    jwks_refresh.refresh_requests.forget()
    yield published
    jwks_refresh.refresh_requests.forget()


def with_kid(jwk_text, kid, **members):
    return {**json.loads(jwk_text), "kid": kid, **members}


def source_with(workspace, personas, server, *jwks, kid="auth"):
    server.publish(*jwks)
    source = jwks_actions.register_jwks_url(
        workspace, jwks_url=server.url(), kid=kid, actor=personas["admin"]
    )
    jwks_actions.fetch_source(source.pk)
    return source


def b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def forge_hs256(header, payload, secret):
    signing = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    mac = hmac.new(secret, signing.encode(), hashlib.sha256).digest()
    return f"{signing}.{b64(mac)}"


def last_failure(workspace):
    return buffer._failures[workspace.id][-1]


@pytest.mark.parametrize("algorithm", ["ES256", "EdDSA", "RS256"])
def test_a_node_jose_token_verifies_with_a_key_from_the_jwks(
    client, enforced, personas, trusting, algorithm
):
    jwk, token = minted(algorithm, f"jwks-{algorithm.lower()}")
    # No alg in the JWK (jose does not write one): pinned by its key type.
    assert "alg" not in json.loads(jwk)
    source_with(enforced, personas, trusting, with_kid(jwk, f"jwks-{algorithm.lower()}"))
    response = ping(client, enforced, token)
    assert response.status_code == 200, response.json()
    assert response.json()["identity"] == "verified"
    # Counts and last-used name the JWKS source, as they name any key.
    proofs = {key.proof for key in buffer._counts}
    assert proofs == {"jwt:auth"}
    mismatch = ping(client, enforced, token, user_id="7")
    assert (mismatch.status_code, mismatch.json()["error"]) == (401, "jwt_user_mismatch")


def test_a_kid_is_required_when_the_jwks_holds_more_than_one_key(
    client, enforced, personas, trusting
):
    jwk_a, token_a = minted("ES256", "a")
    jwk_b, _ = minted("ES256", "b")
    source_with(enforced, personas, trusting, with_kid(jwk_a, "a"), with_kid(jwk_b, "b"))
    assert ping(client, enforced, token_a).status_code == 200
    header, payload, signature = token_a.split(".")
    no_kid_header = b64(json.dumps({"alg": "ES256"}).encode())
    no_kid = f"{no_kid_header}.{payload}.{signature}"
    response = ping(client, enforced, no_kid)
    assert (response.status_code, response.json()["error"]) == (401, "jwt_kid_required")


def test_algorithm_confusion_against_a_jwks_key_is_refused_and_named(
    client, enforced, personas, trusting
):
    es_jwk, _ = minted("ES256", "es")
    rs_jwk, _ = minted("RS256", "rs")
    source_with(enforced, personas, trusting, with_kid(es_jwk, "es"), with_kid(rs_jwk, "rs"))
    pem = next(k["pem"] for k in enforced.jwt_keys.get(kid="auth").jwks.keys if k["kid"] == "es")
    claims = {"user_id": "admin", "exp": int(time.time()) + 600}
    _, rs_naming_es = minted("RS256", "es")  # an RS256 token naming the ES256 key
    cases = [
        # HS256 signed with the JWKS key's public PEM as the secret.
        (
            forge_hs256({"alg": "HS256", "kid": "es"}, claims, pem.encode()),
            "jwt_algorithm_not_allowed",
        ),
        (forge_hs256({"alg": "HS256"}, claims, pem.encode()), "jwt_invalid_signature"),
        (forge_hs256({"alg": "none", "kid": "es"}, claims, b""), "jwt_bad_algorithm"),
        (rs_naming_es, "jwt_algorithm_not_allowed"),
        (
            forge_hs256({"alg": "ES256", "kid": "es", "jwk": json.loads(es_jwk)}, claims, b"x"),
            "jwt_embedded_key",
        ),
        (
            forge_hs256({"alg": "ES256", "kid": "es", "jku": trusting.url()}, claims, b"x"),
            "jwt_embedded_key",
        ),
    ]
    hits = trusting.hits["/jwks.json"]
    for token, code in cases:
        response = ping(client, enforced, token)
        assert (response.status_code, response.json()["error"]) == (401, code), token
    assert trusting.hits["/jwks.json"] == hits  # a jku header is never fetched
    # An HS256 key's kid named by an ES256 token: pinned the other way round too.
    hs_kid, _ = current_key(enforced)
    _, es_naming_hs = minted("ES256", hs_kid)
    response = ping(client, enforced, es_naming_hs)
    assert response.json()["error"] == "jwt_algorithm_not_allowed"
    # The verification log says which algorithm the JWKS key allows.
    _, rs_naming_es = minted("RS256", "es")
    ping(client, enforced, rs_naming_es)
    (finding,) = last_failure(enforced)["diagnosis"]
    assert finding["code"] == "jwt_algorithm_not_allowed"
    assert "key es (from the JWKS at https://localhost" in finding["message"]
    assert "allows ES256 only" in finding["message"]


def test_an_unknown_kid_is_refused_at_once_and_asks_for_one_refetch_a_minute(
    client, enforced, personas, trusting, asked
):
    jwk, _ = minted("ES256", "old")
    source = source_with(enforced, personas, trusting, with_kid(jwk, "old"))
    _, token = minted("ES256", "new")
    started = time.monotonic()
    response = ping(client, enforced, token)
    assert time.monotonic() - started < 0.5  # the gateway does not wait for any fetch
    assert (response.status_code, response.json()["error"]) == (401, "jwt_unknown_key")
    deadline = time.monotonic() + 5
    while not asked and time.monotonic() < deadline:
        time.sleep(0.02)
    assert asked == [source.pk]
    for _ in range(5):
        ping(client, enforced, token)
    time.sleep(0.2)
    assert asked == [source.pk]  # once a minute per source, however many tokens
    (finding,) = last_failure(enforced)["diagnosis"]
    assert finding["code"] == "jwt_kid_not_in_jwks"
    assert '"new"' in finding["message"] and "kids old, fetched at" in finding["message"]


def test_a_jwks_that_cannot_be_reached_is_named_with_since_when(
    client, enforced, personas, trusting
):
    jwk, token = minted("ES256", "k1")
    source = source_with(enforced, personas, trusting, with_kid(jwk, "k1"))
    trusting.serve("/jwks.json", b"gone", status=404)
    failed = jwks_actions.fetch_source(source.pk)
    # The last good set still verifies.
    assert ping(client, enforced, token).status_code == 200
    _, unknown = minted("ES256", "k2")
    ping(client, enforced, unknown)
    codes = {f["code"]: f["message"] for f in last_failure(enforced)["diagnosis"]}
    assert set(codes) == {"jwt_kid_not_in_jwks", "jwks_unreachable"}
    since = failed.failing_since.isoformat().replace("+00:00", "Z")
    assert (
        f"the last fetch failed since {since}: the server answered HTTP 404"
        in codes["jwks_unreachable"]
    )
    assert "still using the set fetched at" in codes["jwks_unreachable"]


def test_an_hs256_token_never_verifies_against_a_jwks_workspace_by_mistake(
    client, enforced, personas, trusting
):
    jwk, _ = minted("ES256", "k1")
    source_with(enforced, personas, trusting, with_kid(jwk, "k1"))
    hs_kid, hs_key = current_key(enforced)
    token = jwt.encode({"user_id": "42", "exp": int(time.time()) + 600}, hs_key, algorithm="HS256")
    response = ping(client, enforced, token)
    assert response.status_code == 200  # the HS256 key, as before
    assert {key.proof for key in buffer._counts} == {f"jwt:{hs_kid}"}


def test_the_jwks_url_gets_last_used_like_any_key(
    client, enforced, personas, trusting, redis_client
):
    jwk, token = minted("EdDSA", "k1")
    source = source_with(enforced, personas, trusting, with_kid(jwk, "k1"))
    assert ping(client, enforced, token).status_code == 200
    buffer.flush()
    folding.fold()
    source.refresh_from_db()
    assert source.last_used_at is not None


def test_fetched_keys_reach_a_gateway_process_at_its_next_poll(
    client, enforced, personas, trusting
):
    """The process's snapshot was taken before the fetch; the fetch bumps the config
    generation, so the next poll (every VERITY_CONFIG_POLL_SECONDS, 0.5 s in production)
    drops it and the new keys verify."""
    jwk, token = minted("ES256", "k1")
    trusting.publish(with_kid(jwk, "k1"))
    source = jwks_actions.register_jwks_url(
        enforced, jwks_url=trusting.url(), kid="auth", actor=personas["admin"]
    )
    assert snapshots.get(enforced.app_id).jwks_sources[0].kids == ()
    assert ping(client, enforced, token).json()["error"] == "jwt_unknown_key"
    jwks_actions.fetch_source(source.pk)
    assert snapshots.get(enforced.app_id).jwks_sources[0].kids == ("k1",)
    assert ping(client, enforced, token).json()["identity"] == "verified"
