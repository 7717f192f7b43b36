"""Issue 17 #2: after a rotation, readiness and the re-enable confirmation count from the
rotation: the requests that carried the new secret, those that still used the old one
(rejected once it is retired) and those without proof; the 7 days before, when the old
secret verified, no longer pass for fine. Real pings, real Redis, real folds."""

import html

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from installcheck import fold as folding
from installcheck.counting import buffer
from installcheck.models import DailyCount
from security.actions import secret_rotation as rotation
from security.actions.secrets import reveal_secret
from security.hashing import user_hash
from security.models import PlatformSettings, RotationMode, RotationTraffic
from security.queries import since_rotation
from security.reauth import Proof
from tests.factories import PASSWORD, secret_of
from tests.installcheck.traffic import send

pytestmark = pytest.mark.django_db(transaction=True)


def pings(workspace, secret, count, prefix, platform="web"):
    for n in range(count):
        uid = f"{prefix}{n}"
        send(workspace, platform, user_id=uid, user_hash=user_hash(secret, uid))


def missing(workspace, count):
    for n in range(count):
        send(workspace, user_id=f"nohash{n}")


def fold():
    buffer.flush()
    folding.fold()


def rotate(workspace, personas, mode=RotationMode.GAP, platform="web"):
    request = rotation.open_request(
        workspace,
        platform,
        mode=mode,
        reason="routine",
        ticket="SUP-7",
        overlap_hours=24 if mode == RotationMode.OVERLAP else None,
        actor=personas["admin"] if mode == RotationMode.OVERLAP else personas["support"],
    )
    return rotation.rotate(request.pk, actor=personas["support"])


@pytest.fixture
def rotated_gap(workspace, personas, redis_client):
    """The issue's story: 44 requests verified by v1 and 22 without proof in the week
    before; support rotates (gap); since then 20 carry v2, 8 still v1, 2 no proof."""
    old = secret_of(workspace, "web")
    pings(workspace, old, 44, "before")
    missing(workspace, 22)
    fold()
    request = rotate(workspace, personas)
    new = secret_of(workspace, "web")
    pings(workspace, new, 20, "new")
    pings(workspace, old, 8, "old")
    missing(workspace, 2)
    fold()
    reveal_secret(workspace, "web", actor=personas["admin"], proof=Proof(password=PASSWORD))
    return request


def test_the_gateway_names_the_retired_secret_a_wrong_hash_was_made_with(rotated_gap):
    rows = DailyCount.objects.filter(code="invalid_user_hash").values_list(
        "outcome", "proof", "count"
    )
    assert list(rows) == [("unverified", "hmac:web:v1", 8)]


def test_figures_count_from_the_rotation(workspace, rotated_gap):
    figures = since_rotation(workspace)["web"]
    assert {
        key: figures[key]
        for key in ("identified", "new_secret", "old_secret", "unproven", "would_be_rejected")
    } == {
        "identified": 30,
        "new_secret": 20,
        "old_secret": 8,
        "unproven": 2,
        "would_be_rejected": 10,
    }
    assert (figures["new_reference"], figures["old_reference"]) == ("hmac:web:v2", "hmac:web:v1")
    assert figures["since"] is not None
    # The 7-day readiness still holds the week before (what the dialog counted).
    readiness = PlatformSettings.objects.get(workspace=workspace, platform="web").readiness
    assert (readiness["identified"], readiness["verified"]) == (96, 64)


def test_re_enabling_is_confirmed_on_the_requests_since_the_rotation(
    workspace, personas, rotated_gap
):
    console = Client()
    console.force_login(personas["admin"])
    url = reverse(
        "security:platform-change", kwargs={"app_id": workspace.app_id, "platform": "web"}
    )
    page = console.post(url, {"flag": "enforced", "value": "on"})
    content = page.content.decode()
    assert page.status_code == 200 and 'data-testid="confirmation"' in content
    assert (
        "30 identified Web requests: 20 carried the new secret, 8 still used the old one and 2 "
        "had no valid proof. Enforcing now would reject 10 of them"
    ) in html.unescape(content)
    assert "of 96" not in content and "would have been rejected" not in content
    assert 'data-testid="since-old"' in content

    api = APIClient()
    api.force_authenticate(personas["admin"])
    answer = api.patch(
        f"/api/v1/workspaces/{workspace.app_id}/platforms/web/", {"enforced": True}, format="json"
    )
    body = answer.json()
    assert (answer.status_code, body["reason"]) == (409, "unproven_since_rotation")
    assert (body["new_secret"], body["old_secret"], body["would_be_rejected"]) == (20, 8, 10)
    listed = api.get(f"/api/v1/workspaces/{workspace.app_id}/platforms/").json()
    web = next(p for p in listed if p["platform"] == "web")
    assert web["since_rotation"]["old_secret"] == 8

    # Confirmed: enforcement is on, the rotation completes and stops counting.
    console.post(url, {"flag": "enforced", "value": "on", "confirm": "on"})
    rotated_gap.refresh_from_db()
    assert rotated_gap.state == "completed"
    before = sum(RotationTraffic.objects.values_list("count", flat=True))
    pings(workspace, secret_of(workspace, "web"), 5, "later")
    fold()
    assert sum(RotationTraffic.objects.values_list("count", flat=True)) == before
    assert since_rotation(workspace) == {}


def test_no_traffic_since_the_rotation_is_said_too(workspace, personas, redis_client):
    pings(workspace, secret_of(workspace, "web"), 10, "before")
    fold()
    request = rotate(workspace, personas)
    reveal_secret(workspace, "web", actor=personas["admin"], proof=Proof(password=PASSWORD))
    api = APIClient()
    api.force_authenticate(personas["admin"])
    answer = api.patch(
        f"/api/v1/workspaces/{workspace.app_id}/platforms/web/", {"enforced": True}, format="json"
    )
    body = answer.json()
    assert (answer.status_code, body["reason"], body["identified"]) == (
        409,
        "unproven_since_rotation",
        0,
    )
    assert "No identified Web request has reached the gateway since the rotation" in body["message"]
    assert request.pk


def test_all_new_secret_traffic_needs_no_confirmation(workspace, personas, redis_client):
    rotate(workspace, personas)
    reveal_secret(workspace, "web", actor=personas["admin"], proof=Proof(password=PASSWORD))
    pings(workspace, secret_of(workspace, "web"), 6, "new")
    fold()
    api = APIClient()
    api.force_authenticate(personas["admin"])
    answer = api.patch(
        f"/api/v1/workspaces/{workspace.app_id}/platforms/web/", {"enforced": True}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["enforced"] is True


def test_overlap_readiness_shows_both_secrets_since_the_rotation(workspace, personas, redis_client):
    old = secret_of(workspace, "ios")
    pings(workspace, old, 12, "before", platform="ios")
    fold()
    rotate(workspace, personas, mode=RotationMode.OVERLAP, platform="ios")
    pings(workspace, old, 7, "old", platform="ios")
    pings(workspace, secret_of(workspace, "ios"), 3, "new", platform="ios")
    fold()
    figures = since_rotation(workspace)["ios"]
    assert (
        figures["identified"],
        figures["new_secret"],
        figures["old_secret"],
        figures["old_secret_verified"],
        figures["would_be_rejected"],
        figures["rejected_once_old_retired"],
    ) == (10, 3, 7, 7, 0, 7)
    console = Client()
    console.force_login(personas["viewer"])
    for name in ("security:overview", "installcheck:installations"):
        content = console.get(reverse(name, kwargs={"app_id": workspace.app_id})).content.decode()
        assert 'data-testid="since-rotation"' in content, name
        assert "7 of 10 would be rejected once only the new secret verifies" in content, name
