"""Pruning daily counts and log entries past retention; the inactive status over time."""

from datetime import timedelta

import pytest
from django.utils import timezone

from installcheck import fold as folding
from installcheck.counting import buffer
from installcheck.models import DailyCount, FoldBatch, Installation, VerificationFailure
from installcheck.queries import installations
from installcheck.tasks import prune
from tests.installcheck.traffic import send

pytestmark = pytest.mark.django_db


def test_prune_deletes_only_what_is_past_retention(workspace, redis_client, settings):
    send(workspace, user_id="x")
    send(workspace, user_id="y")
    buffer.flush()
    folding.fold()
    old = timezone.now() - timedelta(days=settings.VERITY_RETENTION_DAYS + 1)
    DailyCount.objects.create(
        workspace=workspace,
        platform="web",
        installation=Installation.objects.get(),
        day=old.date(),
        outcome="verified",
        count=9,
    )
    VerificationFailure.objects.filter(identifier="x").update(created_at=old)
    FoldBatch.objects.update(created_at=old)

    # Two batches: the counts and the verification log.
    assert prune() == {"daily_counts": 1, "failures": 1, "batches": 2}
    assert DailyCount.objects.count() == 1
    assert list(VerificationFailure.objects.values_list("identifier", flat=True)) == ["y"]


def test_an_installation_silent_for_seven_days_shows_inactive(workspace, redis_client):
    send(workspace, user_id="x")
    buffer.flush()
    folding.fold()
    Installation.objects.update(last_seen=timezone.now() - timedelta(days=8))
    assert installations(workspace).get().shown_status == "inactive"
    assert installations(workspace, status="inactive").count() == 1
    assert installations(workspace, status="warning").count() == 0
