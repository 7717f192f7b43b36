"""Where parsers disagree, the gateway refuses rather than picks (issue 14): a body that
repeats a key, an Origin a URL parser reads one way and a browser another."""

import json

import jwt
import pytest

from security import gateway
from security.actions.platforms import set_enforcement
from tests.factories import current_key
from workspaces.actions import add_trusted_domain

URL = "/messenger/v1/ping"

pytestmark = pytest.mark.django_db


def post(client, raw, **extra):
    return client.post(URL, raw, content_type="application/json", **extra)


def test_a_repeated_key_is_a_400_duplicate_key(client, workspace):
    raw = f'{{"app_id": "{workspace.app_id}", "platform": "web", "platform": "web"}}'
    response = post(client, raw)
    assert response.status_code == 400
    body = response.json()
    assert (body["error"], body["message"]) == (
        gateway.DUPLICATE_KEY,
        gateway.MESSAGES[gateway.DUPLICATE_KEY],
    )
    assert "fields" not in body and body["request_id"]


def test_a_repeated_user_id_cannot_ride_on_a_valid_token(client, workspace):
    # A proxy or a log reading the first copy would see user 7, the gateway user 42.
    set_enforcement(workspace, "ios", True, actor=None)
    kid, key = current_key(workspace)
    token = jwt.encode({"user_id": "42"}, key, algorithm="HS256", headers={"kid": kid})
    raw = (
        f'{{"app_id": "{workspace.app_id}", "platform": "ios", "user_id": "7", '
        f'"user_jwt": "{token}", "user_id": "42"}}'
    )
    response = post(client, raw)
    assert (response.status_code, response.json()["error"]) == (400, gateway.DUPLICATE_KEY)


def test_a_repeated_key_inside_an_ignored_object_is_refused_too(client, workspace):
    raw = f'{{"app_id": "{workspace.app_id}", "platform": "web", "extra": {{"a": 1, "a": 2}}}}'
    assert post(client, raw).json()["error"] == gateway.DUPLICATE_KEY


def test_the_same_keys_once_each_are_served(client, workspace):
    raw = json.dumps({"app_id": workspace.app_id, "platform": "web", "extra": {"a": 1}})
    assert post(client, raw).json()["identity"] == "visitor"


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.com\\@trusted.example",
        "https://trusted.example@evil.com",
        "https://trusted.example/",
        "https://trusted.example:99999",
    ],
)
def test_only_a_strict_origin_can_match_a_trusted_domain(client, workspace, origin):
    add_trusted_domain(workspace, "trusted.example", actor=None)
    raw = json.dumps({"app_id": workspace.app_id, "platform": "web"})
    assert post(client, raw, HTTP_ORIGIN="https://trusted.example:443").status_code == 200
    response = post(client, raw, HTTP_ORIGIN=origin)
    assert (response.status_code, response.json()["error"]) == (403, gateway.UNTRUSTED_DOMAIN)
