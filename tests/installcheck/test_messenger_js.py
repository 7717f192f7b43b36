"""GET /messenger/v1/messenger.js: the file, its size budget, caching and CORS."""

import base64
import hashlib

import pytest
from django.test import Client

from installcheck import messenger

pytestmark = pytest.mark.django_db


def test_the_client_stays_within_its_gzip_budget():
    assert messenger.gzip_size() <= messenger.GZIP_BUDGET_BYTES


def test_the_integrity_value_is_the_sha384_of_the_served_bytes():
    body = Client().get(messenger.PATH).content
    digest = base64.b64encode(hashlib.sha384(body).digest()).decode()
    assert messenger.integrity() == f"sha384-{digest}"


def test_it_is_served_as_javascript_to_any_origin():
    response = Client().get(messenger.PATH, HTTP_ORIGIN="http://shop.localhost:8001")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_versioned_url_is_cached_for_a_year_the_bare_one_briefly():
    versioned = Client().get(messenger.versioned_path())
    assert versioned["Cache-Control"] == "public, max-age=31536000, immutable"
    assert versioned["ETag"] == f'"{messenger.version()}"'
    bare = Client().get(messenger.PATH)
    assert bare["Cache-Control"] == "public, max-age=300"
    stale = Client().get(messenger.PATH + "?v=000000000000")
    assert stale["Cache-Control"] == "public, max-age=300"


def test_a_matching_etag_is_not_modified():
    etag = f'"{messenger.version()}"'
    response = Client().get(messenger.PATH, HTTP_IF_NONE_MATCH=f'"other", {etag}')
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


def test_only_get_and_head_are_allowed():
    assert Client().head(messenger.PATH).status_code == 200
    assert Client().post(messenger.PATH).status_code == 405


def test_it_has_no_dependencies_and_no_secrets():
    text = messenger.source().decode()
    assert "import " not in text and "require(" not in text
    # The console links it prints carry identifiers and codes, never a proof.
    assert "user_hash=" not in text and "user_jwt=" not in text


def test_the_file_is_plain_javascript_node_can_parse(tmp_path):
    import shutil
    import subprocess

    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("node is not installed")
    check = subprocess.run(
        [node, "--check", str(messenger.FILE)], capture_output=True, text=True, timeout=30
    )
    assert check.returncode == 0, check.stderr


def test_the_clients_preflight_is_answered_for_a_trusted_and_an_untrusted_origin(
    workspace, personas
):
    from workspaces.actions import add_trusted_domain

    add_trusted_domain(workspace, "shop.localhost", actor=personas["admin"])
    for origin in ("http://shop.localhost:8001", "https://elsewhere.test"):
        response = Client().options(
            "/messenger/v1/ping",
            HTTP_ORIGIN=origin,
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
        )
        assert response.status_code == 204
        assert response["Access-Control-Allow-Origin"] == "*"
        assert "POST" in response["Access-Control-Allow-Methods"]
        assert response["Access-Control-Allow-Headers"].lower() == "content-type"
    # The refusal itself is readable cross-origin, so messenger.js can log its code.
    refused = Client().post(
        "/messenger/v1/ping",
        f'{{"app_id": "{workspace.app_id}", "platform": "web"}}',
        "application/json",
        HTTP_ORIGIN="https://elsewhere.test",
    )
    assert refused.status_code == 403 and refused.json()["error"] == "untrusted_domain"
    assert refused["Access-Control-Allow-Origin"] == "*"
