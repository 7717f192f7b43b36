"""The rotation state machine (security.rotation) and the gateway around it."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from security import display
from security.actions import secret_rotation as rotation
from security.actions.platforms import set_enforcement
from security.hashing import user_hash
from security.models import IdentitySecret, RotationMode, RotationState, SecretState
from tests.factories import secret_of
from workspaces.refusals import Refused

pytestmark = pytest.mark.django_db


def ping(client, workspace, platform="web", **fields):
    body = {"app_id": workspace.app_id, "platform": platform, **fields}
    return client.post("/messenger/v1/ping", json.dumps(body), content_type="application/json")


def mark_used(workspace, platform, version):
    IdentitySecret.objects.filter(workspace=workspace, platform=platform, version=version).update(
        last_used_at=timezone.now()
    )


def signed(secret, uid="42"):
    return {"user_id": uid, "user_hash": user_hash(secret, uid)}


def open_gap(workspace, personas, platform="web"):
    return rotation.open_request(
        workspace,
        platform,
        mode=RotationMode.GAP,
        reason="routine",
        ticket="T-1",
        actor=personas["support"],
    )


def test_gap_request_waits_for_enforcement_off_when_enforced(workspace, personas):
    set_enforcement(workspace, "web", True, actor=personas["admin"])
    request = open_gap(workspace, personas)
    assert request.state == RotationState.REQUESTED
    with pytest.raises(Refused) as exc:
        rotation.rotate(request.pk, actor=personas["support"])
    assert exc.value.code == "platform_enforced"
    assert "turn it off" in exc.value.message


def test_gap_request_is_ready_at_once_when_enforcement_is_already_off(workspace, personas):
    request = open_gap(workspace, personas)
    assert request.state == RotationState.READY
    assert [s.state for s in request.steps.all()] == ["requested", "ready"]


def test_whole_gap_workflow_rotates_retires_and_completes(client, workspace, personas):
    admin, support = personas["admin"], personas["support"]
    set_enforcement(workspace, "web", True, actor=admin)
    old = secret_of(workspace, "web")
    request = open_gap(workspace, personas)

    set_enforcement(workspace, "web", False, actor=admin)
    request.refresh_from_db()
    assert request.state == RotationState.READY

    rotation.rotate(request.pk, actor=support)
    request.refresh_from_db()
    assert request.state == RotationState.ROTATED
    new = secret_of(workspace, "web")
    assert new != old
    retired = IdentitySecret.objects.get(workspace=workspace, platform="web", version=1)
    assert retired.state == SecretState.RETIRED and retired.plaintext() == old

    # Turning enforcement on before anyone saw the new secret would lock every user out.
    with pytest.raises(Refused) as exc:
        set_enforcement(workspace, "web", True, actor=admin)
    assert exc.value.code == "secret_not_viewed"

    rotation.on_secret_revealed(workspace, "web", actor=admin)
    set_enforcement(workspace, "web", True, actor=admin)
    request.refresh_from_db()
    assert request.state == RotationState.COMPLETED
    assert [s.state for s in request.steps.all()] == [
        "requested",
        "ready",
        "rotated",
        "secret_viewed",
        "completed",
    ]
    # After re-enabling, the old secret proves nothing; the new one does.
    assert ping(client, workspace, **signed(old)).status_code == 401
    assert ping(client, workspace, **signed(new)).json()["identity"] == "verified"


def test_gateway_during_gap_serves_old_hashes_unverified(client, workspace, personas):
    old = secret_of(workspace, "web")
    request = open_gap(workspace, personas)
    rotation.rotate(request.pk, actor=personas["support"])
    body = ping(client, workspace, **signed(old)).json()
    assert body == {**body, "identity": "unverified", "warning": "invalid_user_hash"}


def test_re_enabling_before_rotation_sends_request_back_to_requested(workspace, personas):
    set_enforcement(workspace, "web", True, actor=personas["admin"])
    request = open_gap(workspace, personas)
    set_enforcement(workspace, "web", False, actor=personas["admin"])
    set_enforcement(workspace, "web", True, actor=personas["admin"])
    request.refresh_from_db()
    assert request.state == RotationState.REQUESTED


def test_second_rotate_is_refused_not_repeated(workspace, personas):
    request = open_gap(workspace, personas)
    rotation.rotate(request.pk, actor=personas["support"])
    with pytest.raises(Refused) as exc:
        rotation.rotate(request.pk, actor=personas["support"])
    assert exc.value.code == "already_rotated"
    assert IdentitySecret.objects.filter(workspace=workspace, platform="web").count() == 2


def test_only_one_open_request_per_platform(workspace, personas):
    open_gap(workspace, personas)
    with pytest.raises(Refused) as exc:
        open_gap(workspace, personas)
    assert exc.value.code == "rotation_already_open"
    open_gap(workspace, personas, platform="ios")


def test_cancel_only_before_rotation(workspace, personas):
    request = open_gap(workspace, personas)
    rotation.cancel(request.pk, actor=personas["support"])
    request.refresh_from_db()
    assert request.state == RotationState.CANCELLED
    again = open_gap(workspace, personas)
    rotation.rotate(again.pk, actor=personas["support"])
    with pytest.raises(Refused) as exc:
        rotation.cancel(again.pk, actor=personas["support"])
    assert exc.value.code == "wrong_state"


def test_every_step_is_audited_and_emailed_to_admins(
    workspace, personas, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = open_gap(workspace, personas)
    with django_capture_on_commit_callbacks(execute=True):
        rotation.rotate(request.pk, actor=personas["support"])
    actions = list(workspace.audit_events.values_list("action", flat=True))
    assert {"rotation.requested", "rotation.ready", "rotation.rotated"} <= set(actions)
    assert len(mail.outbox) == 2
    assert all(m.to == [personas["admin"].email] for m in mail.outbox)
    assert any("Rotated" in m.subject or "rotated" in m.subject for m in mail.outbox)
    for message in mail.outbox:
        assert secret_of(workspace, "web") not in message.body


def test_overlap_keeps_enforcement_and_both_secrets_verify_until_confirmed(
    client, workspace, personas
):
    admin, support = personas["admin"], personas["support"]
    set_enforcement(workspace, "web", True, actor=admin)
    old = secret_of(workspace, "web")
    request = rotation.open_request(
        workspace,
        "web",
        mode=RotationMode.OVERLAP,
        reason="suspected_leak",
        ticket="T-2",
        overlap_hours=24,
        actor=support,
    )
    assert request.state == RotationState.REQUESTED
    # Support waits for the customer's admin: the customer must deploy before the deadline.
    with pytest.raises(Refused) as refused:
        rotation.rotate(request.pk, actor=support)
    assert (refused.value.code, refused.value.status) == ("awaiting_customer", 409)
    rotation.accept(request.pk, actor=admin)
    rotation.rotate(request.pk, actor=support)
    new = secret_of(workspace, "web")
    # Enforcement never went off, and both secrets verify during the overlap.
    assert ping(client, workspace, **signed(old)).json()["identity"] == "verified"
    assert ping(client, workspace, **signed(new)).json()["identity"] == "verified"

    # The new secret's traffic reaches last_used_at once folded (here: by hand).
    with pytest.raises(Refused) as refused:
        rotation.finish_overlap(request.pk, actor=admin)
    assert (refused.value.code, refused.value.status) == ("new_secret_unused", 409)
    request.refresh_from_db()
    mark_used(workspace, "web", request.new_version)
    rotation.finish_overlap(request.pk, actor=admin)
    request.refresh_from_db()
    assert request.state == RotationState.COMPLETED
    assert ping(client, workspace, **signed(old)).status_code == 401
    assert ping(client, workspace, **signed(new)).json()["identity"] == "verified"


def test_overlap_deadline_retires_the_old_secret(client, workspace, personas):
    support = personas["support"]
    set_enforcement(workspace, "web", True, actor=personas["admin"])
    old = secret_of(workspace, "web")
    request = rotation.open_request(
        workspace,
        "web",
        mode=RotationMode.OVERLAP,
        reason="routine",
        ticket="T-3",
        overlap_hours=1,
        actor=support,
    )
    rotation.accept(request.pk, actor=personas["admin"])
    rotation.rotate(request.pk, actor=support)
    assert rotation.expire_overlaps(timezone.now()) == 0
    assert rotation.expire_overlaps(timezone.now() + timedelta(hours=2)) == 1
    assert rotation.expire_overlaps(timezone.now() + timedelta(hours=2)) == 0
    request.refresh_from_db()
    assert request.state == RotationState.COMPLETED
    assert ping(client, workspace, **signed(old)).status_code == 401


@pytest.mark.parametrize("hours", [0, 169, None])
def test_overlap_needs_a_deadline_between_one_hour_and_seven_days(workspace, personas, hours):
    with pytest.raises(Refused, match="1 (hour )?to 168 hours") as refused:
        rotation.open_request(
            workspace,
            "web",
            mode=RotationMode.OVERLAP,
            reason="routine",
            ticket="T",
            overlap_hours=hours,
            actor=personas["support"],
        )
    assert (refused.value.status, refused.value.field) == (400, "overlap_hours")


def test_next_step_names_what_the_admin_must_do(workspace, personas):
    set_enforcement(workspace, "web", True, actor=personas["admin"])
    request = open_gap(workspace, personas)
    assert "Turn off enforcement on Web" in display.next_step(request)


def test_the_old_secret_is_retired_early_only_once_the_new_one_verified_or_with_override(
    workspace, personas
):
    """Issue 17 #7: "new secret deployed" is checked, not taken on trust."""
    admin, support = personas["admin"], personas["support"]
    request = rotation.open_request(
        workspace,
        "ios",
        mode=RotationMode.OVERLAP,
        reason="routine",
        ticket="T-7",
        overlap_hours=24,
        actor=admin,
    )
    rotation.rotate(request.pk, actor=support)
    request.refresh_from_db()
    with pytest.raises(Refused) as refused:
        rotation.finish_overlap(request.pk, actor=admin)
    assert (refused.value.code, refused.value.status) == ("new_secret_unused", 409)
    [banner] = display.banners(workspace, "admin")
    assert banner["can_finish"] and not banner["new_verified"]
    assert banner["old_secret"]["used_since_rotation"] is False
    # The old secret still in use after the rotation is said so.
    mark_used(workspace, "ios", request.old_version)
    [banner] = display.banners(workspace, "admin")
    assert banner["old_secret"]["used_since_rotation"] is True
    rotation.finish_overlap(request.pk, actor=admin, override=True)
    request.refresh_from_db()
    assert request.state == RotationState.COMPLETED
    assert "override" in request.steps.last().note
