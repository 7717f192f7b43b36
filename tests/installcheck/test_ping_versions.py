"""Enforcement by app version through POST /messenger/v1/ping (issue 19), counting and the
verification log included."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from installcheck.counting import buffer
from security.actions.platforms import change_platform, set_enforcement, set_version_policy
from security.hashing import user_hash
from tests.factories import secret_of

URL = "/messenger/v1/ping"
pytestmark = pytest.mark.django_db


def send(client, workspace, platform="ios", **fields):
    body = {"app_id": workspace.app_id, "platform": platform, "app_bundle": "com.acme.app"}
    return client.post(URL, json.dumps({**body, **fields}), content_type="application/json")


def test_ios_enforced_from_5_2_0_rejects_5_2_0_serves_5_1_0_then_after_the_sunset_not(
    client, workspace, monkeypatch
):
    """Issue 19's "Done means", through the real endpoint."""
    admin = None
    sunset = timezone.now() + timedelta(days=30)
    set_enforcement(workspace, "ios", True, actor=admin)
    change_platform(
        workspace,
        "ios",
        {"enforce_from_version": "5.2.0", "sunset_at": sunset},
        actor=admin,
    )

    current = send(client, workspace, user_id="42", app_version="5.2.0")
    assert (current.status_code, current.json()["error"]) == (403, "missing_user_hash")

    old = send(client, workspace, user_id="42", app_version="5.1.0")
    assert old.status_code == 200
    body = old.json()
    assert (body["identity"], body["warning"]) == ("unverified", "missing_user_hash")
    assert body["policy_warning"] == "app_version_below_minimum"
    assert body["enforce_from_version"] == "5.2.0"
    assert body["sunset_at"] == sunset.isoformat().replace("+00:00", "Z")

    later = sunset + timedelta(seconds=1)
    monkeypatch.setattr("installcheck.ping.timezone.now", lambda: later)
    after = send(client, workspace, user_id="42", app_version="5.1.0")
    assert (after.status_code, after.json()["error"]) == (403, "missing_user_hash")
    wrong = send(client, workspace, user_id="42", user_hash="0" * 64, app_version="5.1.0")
    assert wrong.status_code == 401 and "WWW-Authenticate" in wrong


def test_an_old_version_with_a_valid_proof_is_simply_verified(client, workspace):
    set_enforcement(workspace, "ios", True, actor=None)
    set_version_policy(workspace, "ios", "5.2.0", actor=None)
    good = user_hash(secret_of(workspace, "ios"), "42")
    response = send(client, workspace, user_id="42", user_hash=good, app_version="5.1.0")
    assert response.json() == {"identity": "verified", "request_id": response["X-Request-ID"]}


@pytest.mark.parametrize("fields", [{}, {"app_version": "nightly"}, {"app_version": "5.1.x"}])
def test_a_missing_or_unparsable_version_is_enforced(client, workspace, fields):
    set_enforcement(workspace, "ios", True, actor=None)
    set_version_policy(workspace, "ios", "5.2.0", actor=None)
    response = send(client, workspace, user_id="42", **fields)
    assert response.status_code == 403


def test_5_10_is_later_than_5_9(client, workspace):
    set_enforcement(workspace, "android", True, actor=None)
    set_version_policy(workspace, "android", "5.10.0", actor=None)
    assert send(client, workspace, "android", user_id="42", app_version="5.9.9").status_code == 200
    assert send(client, workspace, "android", user_id="42", app_version="5.10.0").status_code == 403


def test_a_policy_on_a_platform_that_does_not_enforce_changes_no_answer(client, workspace):
    set_version_policy(workspace, "ios", "5.2.0", actor=None)
    response = send(client, workspace, user_id="42", app_version="5.1.0")
    assert set(response.json()) == {"identity", "warning", "message", "request_id"}


def test_clearing_the_policy_reaches_the_gateway(client, workspace):
    set_enforcement(workspace, "ios", True, actor=None)
    set_version_policy(workspace, "ios", "5.2.0", actor=None)
    assert send(client, workspace, user_id="42", app_version="5.1.0").status_code == 200
    set_version_policy(workspace, "ios", None, actor=None)
    assert send(client, workspace, user_id="42", app_version="5.1.0").status_code == 403


def test_a_spared_request_is_counted_apart_and_logged_as_served_unverified(client, workspace):
    """The answer says unverified; the count says below_minimum, so readiness and the
    counts tell it from a request rejected or served because nothing is enforced."""
    set_enforcement(workspace, "ios", True, actor=None)
    set_version_policy(workspace, "ios", "5.2.0", actor=None)
    buffer.flush_discard()
    send(client, workspace, user_id="42", app_version="5.1.0")
    counts, failures = dict(buffer._counts), dict(buffer._failures)
    buffer.flush_discard()
    (key,) = counts
    assert (key.outcome, key.code, key.app_version) == (
        "below_minimum",
        "missing_user_hash",
        "5.1.0",
    )
    (entry,) = failures[workspace.pk]
    assert entry["rejected"] is False and entry["app_version"] == "5.1.0"
