"""The token debugger with a JWKS URL (issue 19): through the action and the API, with the
keys fetched from a real local HTTPS server, it names a kid not in the JWKS, a JWKS that
cannot be reached (since when) and an algorithm the key does not allow."""

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm
from rest_framework.test import APIClient

from security.actions import jwks as jwks_actions
from security.actions.tools import debug_token
from tests.jwks_server import jwks_server_fixture, trusting_fixture  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

PRIVATE = ec.generate_private_key(ec.SECP256R1())


def token(kid, key=PRIVATE, algorithm="ES256", **claims):
    payload = {"user_id": "42", "exp": int(time.time()) + 600, **claims}
    return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": kid})


@pytest.fixture
def source(workspace, personas, trusting):
    trusting.publish({**json.loads(ECAlgorithm.to_jwk(PRIVATE.public_key())), "kid": "k1"})
    registered = jwks_actions.register_jwks_url(
        workspace, jwks_url=trusting.url(), kid="auth", actor=personas["admin"]
    )
    jwks_actions.fetch_source(registered.pk)
    return registered


def codes(result):
    return {e["code"]: e["message"] for e in result.errors}


def test_a_token_signed_with_a_jwks_key_is_valid(workspace, personas, source):
    result = debug_token(workspace, token("k1"), actor=personas["developer"])
    assert result.valid, result.errors
    assert result.key["kid"] == "k1"


def test_a_kid_not_in_the_jwks_is_named(workspace, personas, source):
    result = debug_token(workspace, token("k9"), actor=personas["developer"])
    found = codes(result)
    assert result.gateway_code == "jwt_unknown_key"
    assert "jwt_kid_not_in_jwks" in found
    assert '"k9"' in found["jwt_kid_not_in_jwks"]
    assert "kids k1, fetched at" in found["jwt_kid_not_in_jwks"]


def test_a_jwks_that_cannot_be_reached_is_named_with_since_when(
    workspace, personas, source, trusting
):
    trusting.serve("/jwks.json", b"", status=502)
    failed = jwks_actions.fetch_source(source.pk)
    result = debug_token(workspace, token("k9"), actor=personas["developer"])
    found = codes(result)
    since = failed.failing_since.isoformat().replace("+00:00", "Z")
    assert f"cannot be reached: the last fetch failed since {since}" in found["jwks_unreachable"]
    assert "HTTP 502" in found["jwks_unreachable"]
    assert "still using the set fetched at" in found["jwks_unreachable"]
    # The last good key still explains a good token.
    assert debug_token(workspace, token("k1"), actor=personas["developer"]).valid


def test_an_algorithm_the_jwks_key_does_not_allow_is_named(workspace, personas, source):
    hs_naming_es = token("k1", key="a-secret-of-32-bytes-or-more-....", algorithm="HS256")
    result = debug_token(workspace, hs_naming_es, actor=personas["developer"])
    found = codes(result)
    assert result.gateway_code == "jwt_algorithm_not_allowed"
    assert "key k1 is pinned to ES256" in found["jwt_algorithm_not_allowed"]


def test_an_algorithm_no_key_allows_is_a_bad_algorithm(workspace, personas, source):
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    result = debug_token(
        workspace, token("k1", key=rsa_key, algorithm="RS256"), actor=personas["developer"]
    )
    assert result.gateway_code == "jwt_bad_algorithm"
    assert "allow HS256, ES256" in codes(result)["jwt_bad_algorithm"]


def test_the_api_debugger_names_the_jwks_causes(workspace, personas, source):
    api = APIClient()
    api.force_authenticate(personas["viewer"])
    response = api.post(
        f"/api/v1/workspaces/{workspace.app_id}/jwt-debug", {"token": token("k9")}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert "jwt_kid_not_in_jwks" in [e["code"] for e in response.json()["errors"]]
