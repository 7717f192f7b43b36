"""Issue 17, charts: the trends page's numbers at GET /api/v1/workspaces/{app_id}/trends/
{platform}, for every role that sees readiness; the page and the API read one source."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from security.actions import secret_rotation
from security.vocabulary import hmac_reference
from tests.installcheck.trend_traffic import (
    fold,
    month_of_traffic,
    page,
    past,
    table,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def month(workspace, redis_client):
    """A month of web and iOS traffic (trend_traffic.month_of_traffic)."""
    return month_of_traffic(workspace)


@pytest.fixture
def api():
    return APIClient()


def trends_url(workspace, platform):
    return f"/api/v1/workspaces/{workspace.app_id}/trends/{platform}"


@pytest.mark.parametrize("role", ["admin", "developer", "viewer"])
def test_members_read_the_daily_numbers(api, personas, month, role):
    api.force_authenticate(personas[role])
    response = api.get(trends_url(month, "web"))
    assert response.status_code == 200
    data = response.json()
    assert data["platform"] == "web" and data["window_days"] == 30
    assert len(data["days"]) == 30
    today = data["days"][-1]
    assert today["day"] == timezone.now().date().isoformat()
    assert {k: today[k] for k in ("verified", "missing", "invalid", "identified")} == {
        "verified": 2,
        "missing": 1,
        "invalid": 0,
        "identified": 3,
    }
    assert today["share"] == 66.7
    assert data["days"][0]["share"] is None
    assert data["versions"] is None and data["rotation"] is None


def test_the_api_and_the_page_show_the_same_numbers(api, client, personas, month):
    api.force_authenticate(personas["viewer"])
    days = api.get(trends_url(month, "web")).json()["days"]
    rows = table(page(client, personas, month), "daily")[1:]
    assert [
        [d["day"], str(d["verified"]), str(d["missing"]), str(d["invalid"]), str(d["identified"])]
        for d in days
    ] == rows


def test_mobile_has_versions_and_the_rest_summed(api, personas, month):
    api.force_authenticate(personas["developer"])
    data = api.get(trends_url(month, "ios")).json()
    assert [v["app_version"] for v in data["versions"]] == [
        "5.2.0",
        "5.1.0",
        "4.6.0",
        "5.0.0",
        "4.9.0",
        "4.8.0",
    ]
    assert data["other_versions"] == {
        "versions": 2,
        "verified": 5,
        "missing": 3,
        "invalid": 0,
        "identified": 8,
        "share": 62.5,
    }


def test_a_rotation_gives_old_against_new(api, personas, workspace, redis_client):
    request = secret_rotation.open_request(
        workspace, "web", mode="gap", reason="routine", ticket="SUP-2", actor=personas["admin"]
    )
    secret_rotation.rotate(request.pk, actor=personas["support"])
    past(workspace, 0, "verified", 4, proof=hmac_reference("web", 2))
    past(workspace, 0, "verified", 1, proof=hmac_reference("web", 1))
    # A wrong hash the gateway recognises as made with the retired secret carries it.
    past(workspace, 0, "unverified", 2, code="invalid_user_hash", proof=hmac_reference("web", 1))
    fold()
    api.force_authenticate(personas["viewer"])
    rotation = api.get(trends_url(workspace, "web")).json()["rotation"]
    assert rotation["rotation_id"] == request.pk
    assert (rotation["old"], rotation["new"]) == ("hmac:web:v1", "hmac:web:v2")
    assert rotation["days"][-1] == {
        "day": timezone.now().date().isoformat(),
        "old": 1,
        "old_failed": 2,
        "new": 4,
    }


@pytest.mark.parametrize("who", ["outsider", "support"])
def test_non_members_get_404(api, personas, workspace, who):
    api.force_authenticate(personas[who])
    assert api.get(trends_url(workspace, "web")).status_code == 404


def test_anonymous_is_401_and_an_unknown_platform_404(api, personas, workspace):
    response = api.get(trends_url(workspace, "web"))
    assert response.status_code == 401
    api.force_authenticate(personas["admin"])
    response = api.get(trends_url(workspace, "windows"))
    assert response.status_code == 404
    assert "error" in response.json()
