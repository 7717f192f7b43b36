"""The rotation API: support runs it, admins request and follow, nobody gets a secret."""

import pytest
from rest_framework.test import APIClient

from security.actions.platforms import set_enforcement
from security.models import RotationRequest, RotationState
from tests.factories import secret_of

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def open_body(workspace, **extra):
    return {
        "app_id": workspace.app_id,
        "platform": "web",
        "reason": "routine",
        "ticket": "T-9",
        **extra,
    }


def assert_no_secret(response, workspace):
    text = response.content.decode()
    for platform in ("web", "ios", "android"):
        assert secret_of(workspace, platform) not in text


def test_support_opens_rotates_and_follows_a_request(workspace, personas):
    support = api(personas["support"])
    opened = support.post("/api/v1/support/rotations/", open_body(workspace), format="json")
    assert opened.status_code == 201, opened.json()
    assert opened.json()["state"] == "ready"
    rotated = support.post(f"/api/v1/support/rotations/{opened.json()['id']}/rotate")
    assert rotated.status_code == 200
    assert rotated.json()["state"] == "rotated"
    assert rotated.json()["new_version"] == 2
    listed = support.get("/api/v1/support/rotations/?state=open")
    assert [r["id"] for r in listed.json()] == [opened.json()["id"]]
    for response in (opened, rotated, listed):
        assert_no_secret(response, workspace)


def test_rotate_while_enforced_is_a_409_that_says_what_to_do(workspace, personas):
    set_enforcement(workspace, "web", True, actor=personas["admin"])
    support = api(personas["support"])
    opened = support.post("/api/v1/support/rotations/", open_body(workspace), format="json")
    response = support.post(f"/api/v1/support/rotations/{opened.json()['id']}/rotate")
    assert response.status_code == 409
    assert response.json()["error"] == "platform_enforced"
    assert "turn it off" in response.json()["message"]


def test_double_rotate_gets_409_the_second_time(workspace, personas):
    support = api(personas["support"])
    pk = support.post("/api/v1/support/rotations/", open_body(workspace), format="json").json()[
        "id"
    ]
    assert support.post(f"/api/v1/support/rotations/{pk}/rotate").status_code == 200
    second = support.post(f"/api/v1/support/rotations/{pk}/rotate")
    assert second.status_code == 409
    assert second.json()["error"] == "already_rotated"


def test_second_open_request_is_a_409(workspace, personas):
    support = api(personas["support"])
    support.post("/api/v1/support/rotations/", open_body(workspace), format="json")
    again = support.post("/api/v1/support/rotations/", open_body(workspace), format="json")
    assert again.status_code == 409
    assert again.json()["error"] == "rotation_already_open"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"platform": "desktop"}, "platform"),
        ({"reason": "boredom"}, "reason"),
        ({"ticket": ""}, "ticket"),
        ({"mode": "overlap"}, "overlap_hours"),
        ({"mode": "overlap", "overlap_hours": 500}, "overlap_hours"),
        ({"app_id": "nosuchid"}, "app_id"),
        # Found by the API fuzzer: numbers were taken as text.
        ({"ticket": 12345}, "ticket"),
        ({"ticket": "T\x00"}, "ticket"),
    ],
)
def test_bad_open_requests_get_field_errors(workspace, personas, body, field):
    response = api(personas["support"]).post(
        "/api/v1/support/rotations/", {**open_body(workspace), **body}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"
    assert field in response.json()["fields"]


@pytest.mark.parametrize(
    "query, message",
    [("a\x00b", "Null characters are not allowed."), ("x" * 101, "At most 100 characters.")],
)
def test_a_bad_workspace_search_is_a_400_not_a_database_error(personas, query, message):
    # Found by the API fuzzer's kind of input: NUL reached PostgreSQL and gave a 500.
    response = api(personas["support"]).get("/api/v1/support/workspaces/", {"q": query})
    assert (response.status_code, response.json()["fields"]) == (400, {"q": [message]})


def test_support_route_ids_that_are_not_numbers_get_a_json_404(personas):
    for path in ("/api/v1/support/rotations/-5/rotate", "/api/v1/support/rotations/x/cancel"):
        response = api(personas["support"]).post(path)
        assert (response.status_code, response.json()["error"]) == (404, "not_found")


@pytest.mark.parametrize("role", ["admin", "developer", "viewer", "outsider"])
def test_only_support_may_use_the_support_routes(workspace, personas, role):
    client = api(personas[role])
    assert client.get("/api/v1/support/rotations/").status_code == 403
    assert client.get("/api/v1/support/workspaces/?q=Acme").status_code == 403
    opened = client.post("/api/v1/support/rotations/", open_body(workspace), format="json")
    assert opened.status_code == 403
    assert not RotationRequest.objects.exists()


def test_anonymous_gets_401(workspace):
    assert APIClient().get("/api/v1/support/rotations/").status_code == 401


def test_support_finds_workspaces_without_secrets(workspace, personas):
    response = api(personas["support"]).get(f"/api/v1/support/workspaces/?q={workspace.app_id}")
    assert response.status_code == 200
    assert [w["app_id"] for w in response.json()] == [workspace.app_id]
    assert {p["platform"] for p in response.json()[0]["platforms"]} == {"web", "ios", "android"}
    assert_no_secret(response, workspace)


@pytest.mark.parametrize("role", ["admin", "developer", "viewer"])
def test_members_follow_their_workspace_rotations(workspace, personas, role):
    api(personas["support"]).post("/api/v1/support/rotations/", open_body(workspace), format="json")
    response = api(personas[role]).get(f"/api/v1/workspaces/{workspace.app_id}/rotations/")
    assert response.status_code == 200
    assert response.json()[0]["state"] == "ready"
    assert response.json()[0]["steps"][0]["state"] == "requested"


def test_outsider_and_support_get_404_on_a_workspace_rotation_list(workspace, personas):
    for who in ("outsider", "support"):
        url = f"/api/v1/workspaces/{workspace.app_id}/rotations/"
        assert api(personas[who]).get(url).status_code == 404


def test_admin_may_request_but_not_rotate(workspace, personas):
    admin = api(personas["admin"])
    body = {"platform": "ios", "reason": "staff_departure", "ticket": "CUST-1"}
    opened = admin.post(f"/api/v1/workspaces/{workspace.app_id}/rotations/", body, format="json")
    assert opened.status_code == 201
    assert admin.post(f"/api/v1/support/rotations/{opened.json()['id']}/rotate").status_code == 403


@pytest.mark.parametrize("role", ["developer", "viewer"])
def test_developers_and_viewers_may_not_request(workspace, personas, role):
    body = {"platform": "ios", "reason": "routine", "ticket": "X"}
    url = f"/api/v1/workspaces/{workspace.app_id}/rotations/"
    assert api(personas[role]).post(url, body, format="json").status_code == 403


def test_admin_finishes_an_overlap_rotation(workspace, personas):
    support = api(personas["support"])
    body = open_body(workspace, mode="overlap", overlap_hours=48)
    pk = support.post("/api/v1/support/rotations/", body, format="json").json()["id"]
    waiting = support.post(f"/api/v1/support/rotations/{pk}/rotate")
    assert (waiting.status_code, waiting.json()["error"]) == (409, "awaiting_customer")
    accept = f"/api/v1/workspaces/{workspace.app_id}/rotations/{pk}/accept"
    assert api(personas["developer"]).post(accept).status_code == 403
    assert api(personas["admin"]).post(accept).json()["state"] == RotationState.ACCEPTED
    assert support.post(f"/api/v1/support/rotations/{pk}/rotate").status_code == 200
    url = f"/api/v1/workspaces/{workspace.app_id}/rotations/{pk}/finish"
    assert api(personas["developer"]).post(url).status_code == 403
    unused = api(personas["admin"]).post(url)
    assert (unused.status_code, unused.json()["error"]) == (409, "new_secret_unused")
    assert api(personas["admin"]).post(url, {"override": "maybe"}, format="json").status_code == 400
    finished = api(personas["admin"]).post(url, {"override": True}, format="json")
    assert finished.status_code == 200
    assert finished.json()["state"] == RotationState.COMPLETED
