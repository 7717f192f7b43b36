"""Overlap rotations with enforcement on (issue 14, item 4): support may rotate only once
the customer's admin accepted, and the old secret does not retire while it still
verifies traffic, unless it is a suspected leak."""

from datetime import timedelta

import pytest

from security.actions import secret_rotation as rotation
from security.actions.platforms import set_enforcement
from security.models import IdentitySecret, RotationMode, RotationState
from workspaces.models import AuditEvent
from workspaces.refusals import Refused

pytestmark = pytest.mark.django_db


def open_overlap(workspace, actor, reason="routine", hours=1):
    return rotation.open_request(
        workspace,
        "web",
        mode=RotationMode.OVERLAP,
        reason=reason,
        ticket="T-9",
        overlap_hours=hours,
        actor=actor,
    )


def rotated(workspace, personas, **kwargs):
    set_enforcement(workspace, "web", True, actor=personas["admin"])
    request = open_overlap(workspace, personas["support"], **kwargs)
    rotation.accept(request.pk, actor=personas["admin"])
    return rotation.rotate(request.pk, actor=personas["support"])


def old_secret_used(request, at):
    IdentitySecret.objects.filter(
        workspace=request.workspace, platform="web", version=request.old_version
    ).update(last_used_at=at)


def test_support_cannot_rotate_an_enforced_platform_before_the_admin_accepts(workspace, personas):
    set_enforcement(workspace, "web", True, actor=personas["admin"])
    request = open_overlap(workspace, personas["support"])
    with pytest.raises(Refused) as refused:
        rotation.rotate(request.pk, actor=personas["support"])
    assert refused.value.code == "awaiting_customer"
    assert IdentitySecret.objects.filter(workspace=workspace, platform="web").count() == 1


def test_an_overlap_the_admin_asks_for_is_accepted_at_once(workspace, personas):
    request = open_overlap(workspace, personas["admin"])
    assert request.state == RotationState.ACCEPTED
    assert rotation.rotate(request.pk, actor=personas["support"]).state == RotationState.ROTATED


def test_a_gap_request_cannot_be_accepted(workspace, personas):
    request = rotation.open_request(
        workspace,
        "web",
        mode=RotationMode.GAP,
        reason="routine",
        ticket="T",
        actor=personas["support"],
    )
    with pytest.raises(Refused) as refused:
        rotation.accept(request.pk, actor=personas["admin"])
    assert refused.value.code == "wrong_mode"


def test_the_overlap_runs_from_the_rotation_not_from_the_request(workspace, personas):
    set_enforcement(workspace, "web", True, actor=personas["admin"])
    request = open_overlap(workspace, personas["support"], hours=24)
    asked_at = request.overlap_until
    rotation.accept(request.pk, actor=personas["admin"])
    request = rotation.rotate(request.pk, actor=personas["support"])
    assert request.overlap_until >= asked_at
    old = IdentitySecret.objects.get(workspace=workspace, platform="web", version=1)
    assert old.valid_until == request.overlap_until


def test_a_deadline_moves_while_the_old_secret_still_verifies_traffic(workspace, personas):
    request = rotated(workspace, personas)
    later = request.overlap_until + timedelta(minutes=1)
    old_secret_used(request, later - timedelta(minutes=5))
    assert rotation.expire_overlaps(later) == 0
    request.refresh_from_db()
    assert request.state == RotationState.ROTATED and request.extensions == 1
    assert request.overlap_until == later + rotation.EXTENSION
    old = IdentitySecret.objects.get(workspace=workspace, platform="web", version=1)
    assert old.valid_until == request.overlap_until
    # Told on both sides: the timeline (support and the customer) and the audit log.
    assert "still verified requests" in request.steps.last().note
    assert AuditEvent.objects.filter(action="rotation.extended", workspace=workspace).exists()


def test_an_unused_old_secret_retires_on_time(workspace, personas):
    request = rotated(workspace, personas)
    later = request.overlap_until + timedelta(minutes=1)
    old_secret_used(request, later - timedelta(hours=3))
    assert rotation.expire_overlaps(later) == 1
    request.refresh_from_db()
    assert request.state == RotationState.COMPLETED


def test_a_suspected_leak_retires_on_time_even_in_use(workspace, personas):
    request = rotated(workspace, personas, reason="suspected_leak")
    later = request.overlap_until + timedelta(minutes=1)
    old_secret_used(request, later)
    assert rotation.expire_overlaps(later) == 1


def test_extensions_stop_at_the_limit(workspace, personas):
    request = rotated(workspace, personas)
    now = request.overlap_until
    for _ in range(rotation.EXTENSION_LIMIT):
        now = now + timedelta(days=1, minutes=1)
        old_secret_used(request, now)
        assert rotation.expire_overlaps(now) == 0
    now = now + timedelta(days=1, minutes=1)
    old_secret_used(request, now)
    assert rotation.expire_overlaps(now) == 1
    request.refresh_from_db()
    assert request.extensions == rotation.EXTENSION_LIMIT
    assert request.state == RotationState.COMPLETED
