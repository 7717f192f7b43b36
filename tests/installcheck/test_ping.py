"""POST /messenger/v1/ping over HTTP (Django's test client), counting included."""

import io
import json
import re
import shutil
import subprocess
import time

import jwt
import pytest
from django.core.handlers.asgi import ASGIRequest

from installcheck import ping
from security.actions.platforms import set_enforcement, set_hmac_allowed
from security.hashing import user_hash
from tests.factories import current_key, secret_of
from tests.services import require
from workspaces.actions import add_trusted_domain

URL = "/messenger/v1/ping"
REQUEST_ID = re.compile(r"[0-9a-f]{16}")


def post(client, body, origin=None, **extra):
    if origin is not None:
        extra["HTTP_ORIGIN"] = origin
    raw = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(URL, raw, content_type="application/json", **extra)


def send(client, workspace, origin="https://app.acme.test", **fields):
    return post(client, {"app_id": workspace.app_id, "platform": "web", **fields}, origin)


def assert_request_id(response):
    body = response.json()
    assert REQUEST_ID.fullmatch(body["request_id"])
    assert response["X-Request-ID"] == body["request_id"]


def enforce(workspace, platform="web"):
    set_enforcement(workspace, platform, True, actor=None)


# --- status codes and bodies ---------------------------------------------------------


def test_a_visitor_is_served(client, workspace):
    response = send(client, workspace)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["identity"] == "visitor"
    assert_request_id(response)


def test_a_user_with_a_valid_hash_is_verified(client, workspace):
    good = user_hash(secret_of(workspace, "web"), "42")
    response = send(client, workspace, user_id="42", user_hash=good)
    assert (response.status_code, response.json()["identity"]) == (200, "verified")


def test_a_user_without_proof_on_an_open_platform_is_served_with_a_warning(client, workspace):
    response = send(client, workspace, user_id="42")
    assert response.status_code == 200
    assert response.json()["identity"] == "unverified"
    assert response.json()["warning"] == "missing_user_hash"


def test_a_user_without_proof_on_an_enforced_platform_gets_403(client, workspace):
    enforce(workspace)
    response = send(client, workspace, user_id="42")
    assert response.status_code == 403
    assert response.json()["error"] == "missing_user_hash"
    assert response.json()["message"]
    assert "WWW-Authenticate" not in response
    assert_request_id(response)


def test_a_wrong_hash_on_an_enforced_platform_gets_401_with_a_challenge(client, workspace):
    enforce(workspace)
    response = send(client, workspace, user_id="42", user_hash="0" * 64)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_user_hash"
    assert 'error="invalid_user_hash"' in response["WWW-Authenticate"]


def test_a_valid_jwt_is_verified_and_a_mismatching_user_id_is_refused(client, workspace):
    enforce(workspace, "ios")
    kid, key = current_key(workspace)
    token = jwt.encode({"user_id": "42"}, key, algorithm="HS256", headers={"kid": kid})
    base = {"app_id": workspace.app_id, "platform": "ios", "user_jwt": token}
    assert post(client, base).json()["identity"] == "verified"
    response = post(client, {**base, "user_id": "7"})
    assert (response.status_code, response.json()["error"]) == (401, "jwt_user_mismatch")


def test_an_email_other_than_the_tokens_is_refused_as_a_mismatch(client, workspace):
    enforce(workspace, "ios")
    kid, key = current_key(workspace)
    claims = {"user_id": "42", "email": "ann@example.com"}
    token = jwt.encode(claims, key, algorithm="HS256", headers={"kid": kid})
    base = {"app_id": workspace.app_id, "platform": "ios", "user_jwt": token}
    assert post(client, {**base, "email": "ann@example.com"}).json()["identity"] == "verified"
    response = post(client, {**base, "email": "eve@example.com"})
    assert (response.status_code, response.json()["error"]) == (401, "jwt_user_mismatch")
    assert 'error="jwt_user_mismatch"' in response["WWW-Authenticate"]


def test_a_numeric_string_exp_is_refused_as_malformed(client, workspace):
    enforce(workspace, "ios")
    kid, key = current_key(workspace)
    exp = str(int(time.time()) + 600)  # "1767225600": PyJWT would take it
    token = jwt.encode({"user_id": "42", "exp": exp}, key, algorithm="HS256", headers={"kid": kid})
    response = post(client, {"app_id": workspace.app_id, "platform": "ios", "user_jwt": token})
    assert (response.status_code, response.json()["error"]) == (401, "jwt_malformed")
    assert 'error="jwt_malformed"' in response["WWW-Authenticate"]


def test_hmac_not_allowed_refuses_a_valid_hash(client, workspace):
    enforce(workspace)
    set_hmac_allowed(workspace, "web", False, actor=None)
    good = user_hash(secret_of(workspace, "web"), "42")
    response = send(client, workspace, user_id="42", user_hash=good)
    assert (response.status_code, response.json()["error"]) == (401, "hmac_not_allowed")


def test_the_test_twin_has_its_own_secrets(client, workspace):
    prod_hash = user_hash(secret_of(workspace, "web"), "42")
    response = send(client, workspace.twin, user_id="42", user_hash=prod_hash)
    assert response.json()["warning"] == "invalid_user_hash"


def test_an_unknown_app_id_is_404(client, db):
    response = post(client, {"app_id": "zzzzzzzz", "platform": "web"})
    assert response.status_code == 404
    assert response.json()["error"] == "unknown_app"
    assert_request_id(response)


@pytest.mark.parametrize(
    "raw", ["not json", "[1, 2]", '{"platform": "web"}', '{"app_id": "x", "platform": "tv"}']
)
def test_a_malformed_ping_is_a_400_with_fields(client, db, raw):
    response = post(client, raw)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "bad_request" and body["message"]
    assert isinstance(body["fields"], dict)
    assert_request_id(response)


def test_a_field_error_names_the_field(client, workspace):
    response = post(client, {"app_id": workspace.app_id, "platform": "web", "user_id": 42})
    assert response.json()["fields"] == {"user_id": "Must be a string."}


def test_get_is_405_with_allow(client, db):
    response = client.get(URL)
    assert response.status_code == 405
    assert response["Allow"] == "POST, OPTIONS"
    assert response.json()["error"] == "method_not_allowed"
    assert_request_id(response)


def test_request_ids_differ_between_requests(client, workspace):
    ids = {send(client, workspace).json()["request_id"] for _ in range(5)}
    assert len(ids) == 5


# --- CORS ----------------------------------------------------------------------------


def test_every_response_allows_any_origin_and_exposes_its_headers(client, workspace):
    enforce(workspace)
    for response in (
        send(client, workspace),
        send(client, workspace, user_id="42", user_hash="0" * 64),
        post(client, "nope"),
        post(client, {"app_id": "zzzzzzzz", "platform": "web"}),
        client.get(URL),
    ):
        assert response["Access-Control-Allow-Origin"] == "*"
        exposed = response["Access-Control-Expose-Headers"]
        assert "X-Request-ID" in exposed and "WWW-Authenticate" in exposed


def test_the_preflight_allows_a_json_post_from_anywhere(client, db):
    response = client.options(
        URL,
        HTTP_ORIGIN="https://shop.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "content-type" in response["Access-Control-Allow-Headers"].lower()
    assert int(response["Access-Control-Max-Age"]) > 0


def test_the_gateway_needs_no_csrf_token(db, workspace):
    from django.test import Client

    response = send(Client(enforce_csrf_checks=True), workspace)
    assert response.status_code == 200


# --- size cap ------------------------------------------------------------------------


def test_a_body_of_exactly_8_kib_is_read(client, workspace):
    data = {"app_id": workspace.app_id, "platform": "web", "pad": ""}
    data["pad"] = "x" * (8 * 1024 - len(json.dumps(data)))
    raw = json.dumps(data)
    assert len(raw) == 8 * 1024
    assert post(client, raw).status_code == 200


def test_a_declared_body_over_8_kib_is_413(client, workspace):
    data = {"app_id": workspace.app_id, "platform": "web", "pad": "x" * 8200}
    response = post(client, data)
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert_request_id(response)


def test_an_undeclared_body_over_8_kib_is_413(workspace):
    # An ASGI server hands the view a stream without Content-Length (chunked upload).
    raw = json.dumps({"app_id": workspace.app_id, "platform": "web", "pad": "x" * 20_000})
    scope = {
        "type": "http",
        "method": "POST",
        "path": URL,
        "query_string": b"",
        "headers": [(b"content-type", b"application/json")],
    }
    request = ASGIRequest(scope, io.BytesIO(raw.encode()))
    assert "CONTENT_LENGTH" not in request.META
    response = ping.ping(request)
    assert response.status_code == 413
    assert json.loads(response.content)["error"] == "payload_too_large"


def test_an_undeclared_small_body_is_decided(workspace):
    raw = json.dumps({"app_id": workspace.app_id, "platform": "web"})
    scope = {"type": "http", "method": "POST", "path": URL, "query_string": b"", "headers": []}
    response = ping.ping(ASGIRequest(scope, io.BytesIO(raw.encode())))
    assert json.loads(response.content)["identity"] == "visitor"


def test_a_non_numeric_content_length_is_a_400_not_a_crash(client, workspace):
    response = post(client, {"app_id": workspace.app_id, "platform": "web"}, CONTENT_LENGTH="x")
    assert (response.status_code, response.json()["error"]) == (400, "bad_request")


# --- Origin normalisation ------------------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    [
        "https://app.acme.test",
        "HTTPS://APP.ACME.TEST",
        "https://App.Acme.Test:8443",
        "https://app.acme.test.",
    ],
)
def test_origins_are_normalised_before_matching(client, workspace, origin):
    add_trusted_domain(workspace, "app.acme.test", actor=None)
    assert send(client, workspace, origin=origin).status_code == 200


@pytest.mark.parametrize("origin", ["https://bücher.de", "https://xn--bcher-kva.de"])
def test_idna_origins_match_an_idna_entry(client, workspace, origin):
    add_trusted_domain(workspace, "Bücher.de", actor=None)
    assert send(client, workspace, origin=origin).status_code == 200


def test_an_origin_off_the_list_is_403(client, workspace):
    add_trusted_domain(workspace, "*.acme.test", actor=None)
    response = send(client, workspace, origin="https://acme.test.evil.io")
    assert (response.status_code, response.json()["error"]) == (403, "untrusted_domain")
    assert send(client, workspace, origin="https://shop.acme.test").status_code == 200
    assert send(client, workspace, origin=None).status_code == 403


def test_a_change_to_the_list_is_obeyed_at_once(client, workspace):
    assert send(client, workspace, origin="https://evil.test").status_code == 200
    add_trusted_domain(workspace, "app.acme.test", actor=None)
    assert send(client, workspace, origin="https://evil.test").status_code == 403


# --- hashes from other HMAC implementations ------------------------------------------


def _tool_hash(command, secret, identifier):
    return subprocess.run(
        command, input=identifier.encode(), capture_output=True, check=True, timeout=30
    ).stdout.decode()


IDENTIFIERS = ["42", "ann@example.com", "Zoë Ünïcode 用户", "with space", "a" * 255]


@pytest.mark.parametrize("identifier", IDENTIFIERS)
def test_hashes_made_by_openssl_are_accepted(client, workspace, identifier):
    if not shutil.which("openssl"):
        require("openssl", "the openssl binary is not installed")
    enforce(workspace)
    secret = secret_of(workspace, "web")
    out = _tool_hash(["openssl", "dgst", "-sha256", "-hmac", secret], secret, identifier)
    digest = out.strip().split()[-1]  # "HMAC-SHA2-256(stdin)= <hex>" across versions
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    field = "email" if "@" in identifier else "user_id"
    response = send(client, workspace, **{field: identifier, "user_hash": digest})
    assert response.json()["identity"] == "verified"


NODE = (
    "const c=require('crypto');let d=[];process.stdin.on('data',x=>d.push(x));"
    "process.stdin.on('end',()=>process.stdout.write(c.createHmac('sha256',"
    "process.argv[1]).update(Buffer.concat(d).toString('utf8')).digest('hex')))"
)


@pytest.mark.parametrize("identifier", IDENTIFIERS)
def test_hashes_made_by_node_crypto_are_accepted(client, workspace, identifier):
    if not shutil.which("node"):
        require("Node.js", "the node binary is not installed")
    enforce(workspace, "ios")
    secret = secret_of(workspace, "ios")
    digest = _tool_hash(["node", "-e", NODE, secret], secret, identifier)
    body = {
        "app_id": workspace.app_id,
        "platform": "ios",
        "user_id": identifier,
        "user_hash": digest.upper(),
    }
    assert post(client, body).json()["identity"] == "verified"


# --- snapshot freshness --------------------------------------------------------------


def test_a_change_committed_while_a_snapshot_loads_is_not_lost(workspace, monkeypatch):
    from security import snapshots as module

    cache = module.SnapshotCache(poll_seconds=0)
    cache.refresh_if_due()
    real = module.load_config

    def racing(app_id, now=None):
        config = real(app_id, now)  # read before the change commits...
        set_enforcement(workspace, "web", True, actor=None)
        cache.refresh_if_due()  # ...and another thread's poll sees the change
        return config

    monkeypatch.setattr(module, "load_config", racing)
    assert not cache.get(workspace.app_id).platforms["web"].enforced
    monkeypatch.setattr(module, "load_config", real)
    assert cache.get(workspace.app_id).platforms["web"].enforced
