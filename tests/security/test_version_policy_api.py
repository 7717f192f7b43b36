"""PATCH .../platforms/{platform}/ with enforce_from_version and sunset_at (issue 19):
validation, the confirmation from the window's versions, roles, audit, the answer."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from security.actions.platforms import record_readiness, set_enforcement, set_version_policy
from security.confirmations import version_policy_figures
from security.models import PlatformSettings
from workspaces.models import AuditEvent, ConfigGeneration

pytestmark = pytest.mark.django_db

SUNSET = "2030-03-01T00:00:00Z"
# 7 days of iOS traffic: 5.2.0 proves itself, 5.1.0 and an unknown version do not.
READINESS = {
    "window_days": 7,
    "identified": 100,
    "verified": 60,
    "versions": [
        {"app_version": "5.2.0", "identified": 60, "verified": 60},
        {"app_version": "5.1.0", "identified": 30, "verified": 0},
        {"app_version": "", "identified": 10, "verified": 0},
    ],
}


@pytest.fixture(autouse=True)
def _private_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


@pytest.fixture
def admin_api(personas):
    api = APIClient()
    api.force_authenticate(personas["admin"])
    return api


def url(ws, platform="ios"):
    return f"/api/v1/workspaces/{ws.app_id}/platforms/{platform}/"


def row(ws, platform="ios"):
    return PlatformSettings.objects.get(workspace=ws, platform=platform)


def test_an_admin_sets_the_policy_and_the_platform_shows_it(admin_api, workspace):
    generation = ConfigGeneration.objects.get(pk=1).value
    body = {"enforce_from_version": "5.2.0", "sunset_at": SUNSET}
    response = admin_api.patch(url(workspace), body, format="json")
    assert response.status_code == 200
    assert response.json()["enforce_from_version"] == "5.2.0"
    assert response.json()["sunset_at"] == SUNSET
    assert (row(workspace).enforce_from_version, row(workspace).sunset_at) == (
        "5.2.0",
        datetime(2030, 3, 1, tzinfo=UTC),
    )
    # The gateway learns of it like of any setting: the config generation moved.
    assert ConfigGeneration.objects.get(pk=1).value > generation
    listed = {r["platform"]: r for r in admin_api.get(url(workspace)[: -len("ios/")]).json()}
    assert listed["ios"]["enforce_from_version"] == "5.2.0"
    assert listed["web"]["enforce_from_version"] is None and listed["web"]["sunset_at"] is None


def test_each_field_is_audited_with_before_and_after(admin_api, workspace):
    admin_api.patch(
        url(workspace), {"enforce_from_version": "5.2.0", "sunset_at": SUNSET}, format="json"
    )
    admin_api.patch(url(workspace), {"enforce_from_version": "5.3"}, format="json")
    events = AuditEvent.objects.filter(workspace=workspace, action__startswith="platform.")
    seen = [(e.action, e.target, e.before, e.after) for e in events.order_by("pk")]
    assert seen == [
        (
            "platform.enforce_from_version",
            "ios",
            {"enforce_from_version": None},
            {"enforce_from_version": "5.2.0"},
        ),  # noqa: E501
        (
            "platform.sunset_at",
            "ios",
            {"sunset_at": None},
            {"sunset_at": "2030-03-01T00:00:00+00:00"},
        ),  # noqa: E501
        (
            "platform.enforce_from_version",
            "ios",
            {"enforce_from_version": "5.2.0"},
            {"enforce_from_version": "5.3"},
        ),  # noqa: E501
    ]


def test_null_clears_the_policy(admin_api, workspace):
    set_version_policy(workspace, "ios", "5.2.0", timezone.now() + timedelta(days=9), actor=None)
    body = {"enforce_from_version": None, "sunset_at": None}
    response = admin_api.patch(url(workspace), body, format="json")
    assert response.status_code == 200
    assert (row(workspace).enforce_from_version, row(workspace).sunset_at) == (None, None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"enforce_from_version": "latest"}, "enforce_from_version"),
        ({"enforce_from_version": "5.2.0-beta"}, "enforce_from_version"),
        ({"enforce_from_version": " 5.2.0"}, "enforce_from_version"),
        ({"enforce_from_version": 5}, "enforce_from_version"),
        ({"enforce_from_version": "1" * 65}, "enforce_from_version"),
        ({"enforce_from_version": "5.2.0", "sunset_at": "2020-01-01T00:00:00Z"}, "sunset_at"),
        ({"enforce_from_version": "5.2.0", "sunset_at": "soon"}, "sunset_at"),
        ({"enforce_from_version": "5.2.0", "sunset_at": "9999-12-31T23:59:59-14:00"}, "sunset_at"),
        ({"enforce_from_version": "5.2.0", "sunset_at": "2999-01-01T00:00:00Z"}, "sunset_at"),
    ],
)
def test_bad_values_are_refused_with_the_field(admin_api, workspace, body, field):
    response = admin_api.patch(url(workspace), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert row(workspace).enforce_from_version is None


def test_a_sunset_without_a_minimum_is_refused(admin_api, workspace):
    response = admin_api.patch(url(workspace), {"sunset_at": SUNSET}, format="json")
    assert (response.status_code, response.json()["error"]) == (409, "sunset_without_minimum")


@pytest.mark.parametrize(
    ("role", "status"), [("developer", 403), ("viewer", 403), ("outsider", 404)]
)
def test_only_an_admin_may_change_the_policy(workspace, personas, role, status):
    api = APIClient()
    api.force_authenticate(personas[role])
    response = api.patch(url(workspace), {"enforce_from_version": "5.2.0"}, format="json")
    assert response.status_code == status
    assert row(workspace).enforce_from_version is None


def test_a_policy_that_would_reject_unproven_traffic_needs_a_confirmation(admin_api, workspace):
    record_readiness(workspace.pk, "ios", READINESS)
    set_enforcement(workspace, "ios", True, actor=None)
    body = {"enforce_from_version": "5.2.0", "sunset_at": SUNSET}
    refused = admin_api.patch(url(workspace), body, format="json")
    assert refused.status_code == 409
    answer = refused.json()
    assert (answer["error"], answer["reason"]) == (
        "confirmation_required",
        "version_policy_rejects",
    )
    # The unknown version is enforced; 5.1.0 is spared until the sunset, then rejected too.
    assert answer["would_be_rejected"] == 10
    assert answer["would_be_rejected_after_sunset"] == 40
    assert {v["app_version"]: v["enforced"] for v in answer["versions"]} == {
        "5.1.0": False,
        "": True,
    }
    assert "10 of 100 identified iOS requests" in answer["message"]
    assert row(workspace).enforce_from_version is None
    confirmed = admin_api.patch(url(workspace), {**body, "confirm": True}, format="json")
    assert confirmed.status_code == 200
    assert row(workspace).enforce_from_version == "5.2.0"


def test_clearing_a_policy_on_an_enforced_platform_needs_a_confirmation(admin_api, workspace):
    record_readiness(workspace.pk, "ios", READINESS)
    set_enforcement(workspace, "ios", True, actor=None)
    set_version_policy(workspace, "ios", "5.2.0", actor=None)
    refused = admin_api.patch(url(workspace), {"enforce_from_version": None}, format="json")
    assert refused.status_code == 409
    assert refused.json()["would_be_rejected"] == 40


def test_a_policy_is_saved_without_a_question_when_all_traffic_is_proven(admin_api, workspace):
    record_readiness(workspace.pk, "ios", {**READINESS, "verified": 100, "versions": []})
    response = admin_api.patch(url(workspace), {"enforce_from_version": "5.2.0"}, format="json")
    assert response.status_code == 200


def test_versions_beyond_the_listed_ones_count_as_enforced():
    readiness = {**READINESS, "identified": 150}  # 50 unproven requests of unlisted versions
    figures = version_policy_figures("5.2.0", None, readiness)
    assert figures["would_be_rejected"] == 60
    assert figures["would_be_rejected_after_sunset"] == 60  # no sunset: 5.1.0 stays spared
