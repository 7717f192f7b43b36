"""Folding counts into the database: correctness, idempotence, crash leftovers, the cap."""

import uuid

import pytest
from django.test import override_settings
from django.utils import timezone

from installcheck import fold as folding
from installcheck.counting import COUNTS_KEY, CountKey, buffer
from installcheck.models import (
    DailyCount,
    FoldBatch,
    Installation,
    PendingCount,
    VerificationFailure,
)
from security.actions.platforms import set_enforcement
from security.models import IdentitySecret, PlatformSettings
from tests.installcheck.traffic import send, send_verified

pytestmark = pytest.mark.django_db


def total(**filters):
    return sum(DailyCount.objects.filter(**filters).values_list("count", flat=True))


def test_pings_become_installations_and_daily_counts(workspace, redis_client):
    for n in range(3):
        send_verified(workspace, f"u{n}")
    send(workspace, user_id="x")  # missing hash
    send(workspace, user_id="y", user_hash="0" * 64)  # invalid hash
    send(workspace)  # visitor
    buffer.flush()

    result = folding.fold()

    assert result.counts == 6
    shop = Installation.objects.get(workspace=workspace, platform="web")
    assert shop.name == "shop.example.com"
    assert (shop.identified, shop.verified, shop.missing, shop.invalid, shop.visitors) == (
        5,
        3,
        1,
        1,
        1,
    )
    assert shop.status == "warning"
    assert shop.top_reason in ("missing_user_hash", "invalid_user_hash")
    assert total(installation=shop) == 6
    assert not redis_client.exists(COUNTS_KEY)
    assert VerificationFailure.objects.filter(workspace=workspace).count() == 2


def test_fold_writes_readiness_and_last_used(workspace, redis_client):
    for n in range(3):
        send_verified(workspace, f"u{n}", app_version="2.0")
    send(workspace, user_id="old", app_version="1.0")
    buffer.flush()
    folding.fold()

    summary = PlatformSettings.objects.get(workspace=workspace, platform="web").readiness
    assert summary["identified"] == 4
    assert summary["verified"] == 3
    assert summary["share"] == 0.75
    assert summary["by_method"] == {"hmac": 3, "jwt": 0}
    assert summary["installations"][0]["failed"] == 1
    versions = {v["app_version"]: v for v in summary["versions"]}
    assert versions["2.0"] == {
        "app_version": "2.0",
        "identified": 3,
        "verified": 3,
        "below_minimum": 0,
    }
    assert versions["1.0"]["verified"] == 0
    assert summary["proofs"][0]["reference"] == "hmac:web:v1"
    assert summary["proofs"][0]["count"] == 3
    secret = IdentitySecret.objects.get(workspace=workspace, platform="web", version=1)
    assert secret.last_used_at is not None
    assert PlatformSettings.objects.get(workspace=workspace, platform="ios").readiness == {}


def test_a_leftover_key_of_a_crashed_fold_is_folded_once(workspace, redis_client):
    send_verified(workspace, "a")
    send_verified(workspace, "b")
    buffer.flush()
    # A fold that died right after its RENAME.
    redis_client.rename(COUNTS_KEY, folding.FOLDING_COUNTS + uuid.uuid4().hex)
    send_verified(workspace, "c")
    buffer.flush()

    folding.fold()
    folding.fold()

    assert total(workspace=workspace) == 3
    assert not list(redis_client.scan_iter(match=folding.FOLDING_COUNTS + "*"))


def test_a_batch_committed_but_not_deleted_is_not_applied_twice(workspace, redis_client):
    send_verified(workspace, "a")
    buffer.flush()
    key = folding.FOLDING_COUNTS + "deadbeef"
    redis_client.rename(COUNTS_KEY, key)
    counts, seen = folding.aggregate(redis_client.hgetall(key).items())
    # The crashed fold committed its batch but died before DEL.
    folding._apply_batch("counts:deadbeef", lambda: folding.apply_counts(counts, seen))

    result = folding.fold()

    assert result.skipped_batches == 1
    assert total(workspace=workspace) == 1
    assert FoldBatch.objects.filter(batch_id="counts:deadbeef").exists()
    assert not redis_client.exists(key)


def test_installations_past_the_cap_are_counted_as_other(workspace, redis_client):
    with override_settings(VERITY_MAX_INSTALLATIONS=2):
        for host in ("a.example.com", "b.example.com", "c.example.com", "d.example.com"):
            send_verified(workspace, "u", origin=f"https://{host}")
        buffer.flush()
        folding.fold()

    names = set(Installation.objects.filter(workspace=workspace).values_list("name", flat=True))
    assert names == {"a.example.com", "b.example.com", "(other)"}
    other = Installation.objects.get(workspace=workspace, name="(other)")
    assert other.is_overflow
    assert total(installation=other) == 2
    assert total(workspace=workspace) == 4


def test_enforced_rejections_count_as_failures(workspace, redis_client):
    set_enforcement(workspace, "web", True, actor=None)
    send(workspace, user_id="x")
    buffer.flush()
    folding.fold()
    installation = Installation.objects.get(workspace=workspace)
    assert installation.missing == 1
    assert installation.status == "warning"
    assert VerificationFailure.objects.get(workspace=workspace).rejected


def test_the_verification_log_is_pruned_to_its_cap(workspace, redis_client):
    with override_settings(VERITY_VERIFICATION_LOG_CAP=10):
        for n in range(14):
            send(workspace, user_id=f"u{n}")
        buffer.flush()
        folding.fold()
    entries = VerificationFailure.objects.filter(workspace=workspace)
    assert entries.count() == 10
    assert set(entries.values_list("identifier", flat=True)) == {f"u{n}" for n in range(4, 14)}


def test_without_redis_pending_rows_are_folded_and_deleted(workspace):
    key = CountKey(workspace.pk, "ios", "com.acme.app", "verified", "", "hmac:ios:v1", "1.0", "")
    PendingCount.objects.create(field=key.field(), count=2)
    PendingCount.objects.create(field=key.field(), count=3)
    PendingCount.objects.create(field=key.seen_field(), count=1_700_000_000)
    PendingCount.objects.create(field=key.seen_field(), count=1_700_000_500)
    PendingCount.objects.create(field="garbage", count=1)

    result = folding.fold_database()

    assert result.counts == 5
    assert not PendingCount.objects.exists()
    installation = Installation.objects.get(workspace=workspace, platform="ios")
    assert installation.last_seen.timestamp() == 1_700_000_500
    assert total(installation=installation, app_version="1.0") == 5


def test_a_fold_with_nothing_to_do_changes_nothing(workspace, redis_client):
    result = folding.fold()
    assert result.as_dict() == {"counts": 0, "failures": 0, "batches": 0, "skipped_batches": 0}
    assert not Installation.objects.exists()


def test_a_platforms_readiness_lists_only_its_own_secrets(workspace, redis_client):
    send_verified(workspace, "u1")
    IdentitySecret.objects.filter(workspace=workspace, platform="ios").update(
        last_used_at=timezone.now()
    )
    buffer.flush()
    folding.fold()
    summary = PlatformSettings.objects.get(workspace=workspace, platform="web").readiness
    assert [p["reference"] for p in summary["proofs"]] == ["hmac:web:v1"]
