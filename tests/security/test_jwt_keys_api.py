"""The JWT keys and token debugger API: every route for every role, and bad inputs."""

import json
import time

import jwt
import pytest
from django.core.cache import cache

from security.actions import tools
from security.models import MessengerKey
from tests.factories import PASSWORD, current_key
from workspaces.models import AuditEvent

pytestmark = pytest.mark.django_db


def as_user(client, user):
    client.force_login(user)
    return client


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def base(workspace):
    return f"/api/v1/workspaces/{workspace.app_id}"


@pytest.fixture
def in_grace(workspace, personas, client):
    """A workspace after one rotation: (old kid, old key)."""
    old = current_key(workspace)
    from security.actions.jwt_keys import rotate_messenger_key

    rotate_messenger_key(workspace, grace_hours=24, actor=personas["admin"])
    return old


# --- list ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "developer", "viewer"])
def test_members_list_keys_without_key_material(client, workspace, personas, role):
    kid, key = current_key(workspace)
    response = as_user(client, personas[role]).get(f"{base(workspace)}/jwt-keys/")
    assert response.status_code == 200
    assert [row["kid"] for row in response.json()] == [kid]
    assert response.json()[0]["state"] == "current"
    assert key not in response.content.decode()


@pytest.mark.parametrize("role", ["outsider", "support"])
def test_non_members_get_404_on_the_key_list(client, workspace, personas, role):
    response = as_user(client, personas[role]).get(f"{base(workspace)}/jwt-keys/")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_anonymous_callers_are_refused(client, workspace):
    assert client.get(f"{base(workspace)}/jwt-keys/").status_code == 401


def test_the_list_shows_grace_keys_with_their_deadline(client, workspace, personas, in_grace):
    rows = as_user(client, personas["viewer"]).get(f"{base(workspace)}/jwt-keys/").json()
    assert [r["state"] for r in rows] == ["current", "grace"]
    assert rows[1]["kid"] == in_grace[0] and rows[1]["valid_until"]


# --- rotate --------------------------------------------------------------------------


def test_admin_rotates_with_a_grace_period(client, workspace, personas):
    response = post(
        as_user(client, personas["admin"]), f"{base(workspace)}/jwt-keys/rotate", {"grace_hours": 2}
    )
    assert response.status_code == 201
    assert response.json()["state"] == "current"
    assert MessengerKey.objects.filter(workspace=workspace).count() == 2


def test_rotation_defaults_to_24_hours_of_grace(client, workspace, personas):
    old_kid, _ = current_key(workspace)
    post(as_user(client, personas["admin"]), f"{base(workspace)}/jwt-keys/rotate")
    event = AuditEvent.objects.get(action="jwt_key.rotated")
    assert event.after["grace_hours"] == 24 and event.after["previous"] == old_kid


@pytest.mark.parametrize(
    "role, status", [("developer", 403), ("viewer", 403), ("outsider", 404), ("support", 404)]
)
def test_only_admins_rotate(client, workspace, personas, role, status):
    response = post(as_user(client, personas[role]), f"{base(workspace)}/jwt-keys/rotate")
    assert response.status_code == status
    assert MessengerKey.objects.filter(workspace=workspace).count() == 1


@pytest.mark.parametrize("hours", [-1, 169, "x", None, 2.5, [1]])
def test_bad_grace_hours_are_a_400(client, workspace, personas, hours):
    response = post(
        as_user(client, personas["admin"]),
        f"{base(workspace)}/jwt-keys/rotate",
        {"grace_hours": hours} if hours is not None else {"grace_hours": {}},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "validation_error" and list(body["fields"]) == ["grace_hours"]


def test_a_bad_older_key_choice_is_a_400(client, workspace, personas, in_grace):
    response = post(
        as_user(client, personas["admin"]),
        f"{base(workspace)}/jwt-keys/rotate",
        {"older_key": "drop"},
    )
    body = response.json()
    assert (response.status_code, body["error"], list(body["fields"])) == (
        400,
        "validation_error",
        ["older_key"],
    )


def test_second_rotation_during_grace_is_a_409_naming_the_older_key(
    client, workspace, personas, in_grace
):
    response = post(as_user(client, personas["admin"]), f"{base(workspace)}/jwt-keys/rotate")
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "older_key_in_grace"
    assert [k["kid"] for k in body["older_keys"]] == [in_grace[0]]
    response = post(client, f"{base(workspace)}/jwt-keys/rotate", {"older_key": "end_now"})
    assert response.status_code == 201


def test_a_non_object_body_is_a_400_not_a_rotation(client, workspace, personas):
    # Found by the API fuzzer: a JSON array used to rotate with the defaults.
    client = as_user(client, personas["admin"])
    kid, _ = current_key(workspace)
    for body in ("[1]", "[null, null]", '"text"', "42"):
        response = client.post(
            f"{base(workspace)}/jwt-keys/rotate", body, content_type="application/json"
        )
        assert (response.status_code, response.json()["error"]) == (400, "validation_error")
    assert current_key(workspace)[0] == kid
    response = client.post(
        f"{base(workspace)}/jwt-keys/rotate", "{oops", content_type="application/json"
    )
    assert (response.status_code, response.json()["error"]) == (400, "bad_request")


# --- revoke --------------------------------------------------------------------------


def test_admin_revokes_a_key_in_grace(client, workspace, personas, in_grace):
    url = f"{base(workspace)}/jwt-keys/{in_grace[0]}/revoke"
    response = post(as_user(client, personas["admin"]), url)
    assert response.status_code == 200 and response.json()["state"] == "revoked"
    assert post(client, url).json()["error"] == "already_revoked"


@pytest.mark.parametrize(
    "role, status", [("developer", 403), ("viewer", 403), ("outsider", 404), ("support", 404)]
)
def test_only_admins_revoke(client, workspace, personas, in_grace, role, status):
    url = f"{base(workspace)}/jwt-keys/{in_grace[0]}/revoke"
    assert post(as_user(client, personas[role]), url).status_code == status
    assert MessengerKey.objects.get(kid=in_grace[0]).revoked_at is None


def test_revoking_the_current_key_is_a_409(client, workspace, personas):
    kid, _ = current_key(workspace)
    response = post(as_user(client, personas["admin"]), f"{base(workspace)}/jwt-keys/{kid}/revoke")
    assert (response.status_code, response.json()["error"]) == (409, "current_key")


def test_revoking_an_unknown_kid_is_a_404(client, workspace, personas):
    response = post(
        as_user(client, personas["admin"]), f"{base(workspace)}/jwt-keys/mk_nope/revoke"
    )
    assert (response.status_code, response.json()["error"]) == (404, "unknown_key")


# --- reveal --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "developer"])
def test_admins_and_developers_reveal_with_their_password(client, workspace, personas, role):
    kid, key = current_key(workspace)
    response = post(
        as_user(client, personas[role]),
        f"{base(workspace)}/jwt-keys/{kid}/reveal",
        {"password": PASSWORD},
    )
    assert response.status_code == 200
    assert response.json() == {"kid": kid, "key": key}
    assert response["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action="jwt_key.revealed", actor=personas[role]).exists()


@pytest.mark.parametrize("role, status", [("viewer", 403), ("outsider", 404), ("support", 404)])
def test_others_cannot_reveal(client, workspace, personas, role, status):
    kid, key = current_key(workspace)
    response = post(
        as_user(client, personas[role]),
        f"{base(workspace)}/jwt-keys/{kid}/reveal",
        {"password": PASSWORD},
    )
    assert response.status_code == status
    assert key not in response.content.decode()


def test_reveal_needs_the_password_every_time(client, workspace, personas):
    kid, key = current_key(workspace)
    client = as_user(client, personas["admin"])
    url = f"{base(workspace)}/jwt-keys/{kid}/reveal"
    assert post(client, url, {"password": PASSWORD}).status_code == 200
    response = post(client, url)
    assert (response.status_code, response.json()["error"]) == (400, "password_required")
    response = post(client, url, {"password": "wrong"})
    assert (response.status_code, response.json()["error"]) == (403, "wrong_password")
    assert key not in response.content.decode()
    assert AuditEvent.objects.filter(action="jwt_key.revealed").count() == 1


def test_password_guessing_on_key_reveal_is_rate_limited(client, workspace, personas):
    kid, key = current_key(workspace)
    client = as_user(client, personas["developer"])
    url = f"{base(workspace)}/jwt-keys/{kid}/reveal"
    for _ in range(10):
        assert post(client, url, {"password": "guess"}).status_code == 403
    response = post(client, url, {"password": PASSWORD})
    assert (response.status_code, response.json()["error"]) == (429, "rate_limited")
    assert int(response["Retry-After"]) > 0
    assert key not in response.content.decode()
    assert not AuditEvent.objects.filter(action="jwt_key.revealed").exists()


def test_secret_and_key_reveals_share_one_password_budget(client, workspace, personas):
    kid, _ = current_key(workspace)
    client = as_user(client, personas["admin"])
    for _ in range(10):
        post(client, f"{base(workspace)}/platforms/web/secret/reveal", {"password": "guess"})
    response = post(client, f"{base(workspace)}/jwt-keys/{kid}/reveal", {"password": PASSWORD})
    assert response.status_code == 429


def test_a_revoked_key_cannot_be_revealed(client, workspace, personas, in_grace):
    client = as_user(client, personas["admin"])
    post(client, f"{base(workspace)}/jwt-keys/{in_grace[0]}/revoke")
    response = post(
        client, f"{base(workspace)}/jwt-keys/{in_grace[0]}/reveal", {"password": PASSWORD}
    )
    assert (response.status_code, response.json()["error"]) == (409, "key_revoked")


# --- debugger ------------------------------------------------------------------------


def token_for(workspace, **claims):
    kid, key = current_key(workspace)
    claims = {"user_id": "42", "exp": int(time.time()) + 600, **claims}
    return jwt.encode(claims, key, algorithm="HS256", headers={"kid": kid})


@pytest.mark.parametrize("role", ["admin", "developer", "viewer"])
def test_members_debug_tokens(client, workspace, personas, role):
    kid, key = current_key(workspace)
    response = post(
        as_user(client, personas[role]),
        f"{base(workspace)}/jwt-debug",
        {"token": token_for(workspace)},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is True and body["errors"] == []
    assert body["payload"]["user_id"] == "42" and body["payload_trusted"] is True
    assert body["key"] == {"kid": kid, "state": "current", "named_by": "kid"}
    assert body["times"]["exp"]["text"].startswith("expires in")
    assert key not in response.content.decode()


@pytest.mark.parametrize("role", ["outsider", "support"])
def test_non_members_cannot_debug(client, workspace, personas, role):
    response = post(
        as_user(client, personas[role]),
        f"{base(workspace)}/jwt-debug",
        {"token": token_for(workspace)},
    )
    assert response.status_code == 404


def test_the_debugger_names_problems(client, workspace, personas):
    response = post(
        as_user(client, personas["viewer"]),
        f"{base(workspace)}/jwt-debug",
        {"token": token_for(workspace, user_id=42, exp=int(time.time()) - 3600)},
    )
    body = response.json()
    assert body["valid"] is False and body["payload_trusted"] is False
    assert [e["code"] for e in body["errors"]] == ["jwt_expired", "jwt_user_id_not_string"]
    assert body["payload"]["user_id"] == 42


@pytest.mark.parametrize(
    "body, message",
    [
        ({}, "This field is required."),
        ({"token": ""}, "This field may not be blank."),
        ({"token": 5}, "Not a valid string."),
        ({"token": "a" * 9000}, "Ensure this field has no more than 8192 characters."),
    ],
)
def test_bad_debugger_input_is_a_400(client, workspace, personas, body, message):
    response = post(as_user(client, personas["developer"]), f"{base(workspace)}/jwt-debug", body)
    answer = response.json()
    assert (response.status_code, answer["error"]) == (400, "validation_error")
    assert answer["fields"]["token"] == [message]


def test_the_debugger_is_rate_limited_per_user(client, workspace, personas, settings):

    cache.clear()
    client = as_user(client, personas["developer"])
    url = f"{base(workspace)}/jwt-debug"
    for _ in range(tools.DEBUG_RATE_LIMIT):
        assert post(client, url, {"token": "x.y.z"}).status_code == 200
    response = post(client, url, {"token": "x.y.z"})
    assert response.status_code == 429
    assert response.json()["error"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1
    other = post(as_user(client, personas["viewer"]), url, {"token": "x.y.z"})
    assert other.status_code == 200


def test_the_debugger_audits_without_the_token(client, workspace, personas):
    token = token_for(workspace)
    post(as_user(client, personas["viewer"]), f"{base(workspace)}/jwt-debug", {"token": token})
    event = AuditEvent.objects.get(action="jwt.debugged")
    assert token not in json.dumps([event.target, event.before, event.after])


def test_the_schema_describes_the_jwt_routes(client, personas):
    response = as_user(client, personas["admin"]).get("/api/schema/?format=json")
    paths = response.json()["paths"]
    assert "/api/v1/workspaces/{app_id}/jwt-keys/rotate" in paths
    assert "/api/v1/workspaces/{app_id}/jwt-debug" in paths
