"""JWKS URLs end to end with a real Celery worker and a real local HTTPS server: the first
fetch after registering, rotation by publishing a new key (the old kid refused, the new
one verified after the refetch an unknown kid asks for), and a failed fetch keeping the
last good set. Tokens are minted by node ``jose``."""

import json
import time

import pytest
from rest_framework.test import APIClient

from security import jwks_refresh
from security.actions.platforms import set_enforcement
from security.models import JwksSet
from security.tasks import fetch_jwks
from tests.installcheck.celery_worker import wait_for, worker_fixture  # noqa: F401 (fixture)
from tests.installcheck.test_ping_public_keys import minted, ping
from tests.jwks_server import jwks_server_fixture  # noqa: F401 (fixture)

pytestmark = [pytest.mark.celery, pytest.mark.slow]


def with_kid(jwk_text, kid):
    return {**json.loads(jwk_text), "kid": kid}


def answer(client, workspace, token):
    response = ping(client, workspace, token)
    body = response.json()
    return body.get("identity") if response.status_code == 200 else body["error"]


def test_rotation_by_publishing_a_new_key_in_the_jwks(
    worker, workspace, personas, jwks_server, redis_client, client
):
    worker(VERITY_JWKS_CA_BUNDLE=jwks_server.ca_bundle, VERITY_JWKS_ALLOW_PRIVATE_ADDRESSES="1")
    set_enforcement(workspace, "ios", True, actor=None)
    old_jwk, old_token = minted("ES256", "2026-old")
    new_jwk, new_token = minted("ES256", "2026-new")
    jwks_server.publish(with_kid(old_jwk, "2026-old"))

    api = APIClient()
    api.force_authenticate(personas["admin"])
    response = api.post(
        f"/api/v1/workspaces/{workspace.app_id}/jwt-keys/",
        {"jwks_url": jwks_server.url(), "kid": "auth"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    source_id = JwksSet.objects.get(source__kid="auth").source_id
    # The worker fetches it (queued when the registration committed).
    wait_for(lambda: answer(client, workspace, old_token) == "verified", 30, "the first fetch")

    # The customer rotates: the JWKS now publishes the new key only.
    jwks_server.publish(with_kid(new_jwk, "2026-new"))
    # A minute has passed since the registration's fetch (its once-a-minute flag gone).
    redis_client.delete(f"verity:1:{jwks_refresh.LOCK_KEY.format(source_id)}")
    jwks_refresh.refresh_requests.forget()
    hits = jwks_server.hits["/jwks.json"]
    started = time.monotonic()
    assert answer(client, workspace, new_token) == "jwt_unknown_key"  # refused now...
    assert time.monotonic() - started < 0.5
    # ...and verified once the refetch it asked for has reached the snapshot.
    wait_for(lambda: answer(client, workspace, new_token) == "verified", 30, "the refetch")
    assert jwks_server.hits["/jwks.json"] == hits + 1
    assert answer(client, workspace, old_token) == "jwt_unknown_key"

    # The JWKS breaks: the last good set keeps verifying, and the console says so.
    jwks_server.serve("/jwks.json", b"<html>oops</html>", status=200)
    fetch_jwks.delay(source_id)
    wait_for(
        lambda: JwksSet.objects.get(source_id=source_id).failing_since is not None,
        30,
        "the failed fetch",
    )
    assert answer(client, workspace, new_token) == "verified"
    fetched = JwksSet.objects.get(source_id=source_id)
    assert fetched.error == "the response is not JSON"
    assert [k["kid"] for k in fetched.keys] == ["2026-new"]
