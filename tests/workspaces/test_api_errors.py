"""API errors found by the fuzzer (tests/workspaces/test_api_fuzz.py): each is JSON with an
``error`` code and a 4xx, never an HTML page, a 500 or a silent default."""

import pytest
from rest_framework.test import APIClient

from workspaces.models import ApiToken

pytestmark = pytest.mark.django_db


def api(user=None):
    client = APIClient()
    if user is not None:
        _, key = ApiToken.issue(user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/v1/nothing-here"),
        ("post", "/api/v1/support/rotations/-58800/cancel"),
        ("delete", "/api/v1/workspaces/abc/trusted-domains/not-a-number/"),
        ("get", "/api/v1/jobs/-1"),
    ],
)
def test_an_unknown_api_route_is_a_json_404(personas, method, path):
    response = getattr(api(personas["admin"]), method)(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "not_found", "message": "Not found."}


def test_an_unknown_api_route_is_a_json_404_for_anonymous_callers_too(db):
    response = api().post("/api/v1/workspaces/x/nothing")
    assert (response.status_code, response.json()["error"]) == (404, "not_found")


def test_pages_outside_the_api_keep_the_html_404(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"action": "a\x00b"}, "action", "Null characters are not allowed."),
        ({"actor": "\x00"}, "actor", "Null characters are not allowed."),
        ({"action": "x" * 65}, "action", "At most 64 characters."),
        ({"actor": "x" * 151}, "actor", "At most 150 characters."),
        ({"limit": "abc"}, "limit", "A whole number from 1 to 1000."),
        ({"limit": "0"}, "limit", "A whole number from 1 to 1000."),
        ({"limit": "1001"}, "limit", "A whole number from 1 to 1000."),
        ({"limit": "٣"}, "limit", "A whole number from 1 to 1000."),
        ({"offset": "-1"}, "offset", "A whole number from 0 to 1000000000."),
        ({"offset": "9" * 30}, "offset", "A whole number from 0 to 1000000000."),
    ],
)
def test_bad_audit_filters_and_pages_are_a_400(workspace, personas, params, field, message):
    # NUL reached PostgreSQL (a 500); long filters were cut and bad pages replaced by the
    # default without a word.
    response = api(personas["admin"]).get(f"/api/v1/workspaces/{workspace.app_id}/audit/", params)
    assert response.status_code == 400
    assert response.json() == {
        "error": "validation_error",
        "message": "Some fields are invalid.",
        "fields": {field: [message]},
    }


def test_good_pages_still_page(workspace, personas):
    url = f"/api/v1/workspaces/{workspace.app_id}/audit/"
    everything = api(personas["admin"]).get(url).json()
    assert everything["count"] >= 2
    page = api(personas["admin"]).get(url, {"limit": "1", "offset": "1"}).json()
    assert page["count"] == everything["count"]
    assert page["results"] == everything["results"][1:2]
