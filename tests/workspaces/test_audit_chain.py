"""The audit log is a hash chain: an event edited, deleted or inserted behind the
application's back shows in ``manage.py verify_audit``."""

import hashlib
import json
import threading
from datetime import UTC
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from workspaces.actions import chain_audit_events, record_audit
from workspaces.models import GENESIS_HASH, AuditEvent, AuditHead


def verify_audit():
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def broken_chain():
    with pytest.raises(CommandError) as failure:
        verify_audit()
    assert failure.value.returncode == 1
    return str(failure.value)


def sql(statement, *params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def events(workspace, personas, django_capture_on_commit_callbacks):
    """Five chained events of ``workspace``, oldest first."""
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):
            record_audit(
                "test.event",
                actor=personas["admin"],
                workspace=workspace,
                target=f"target {n}",
                before={"n": n, "nested": {"b": [1, 2.5, None], "a": "é"}},
                after={"n": n + 1},
                ip="203.0.113.7",
            )
    return list(AuditEvent.objects.filter(action="test.event").order_by("seq"))


def documented_hash(row, prev_hash):
    """The README's formula, written out independently of workspaces.models."""
    content = {
        "seq": row.seq,
        "created_at": row.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "workspace": row.workspace_id,
        "actor": row.actor_id,
        "actor_label": row.actor_label,
        "role": row.role,
        "action": row.action,
        "target": row.target,
        "before": row.before,
        "after": row.after,
        "ip": row.ip,
        "prev_hash": prev_hash,
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def test_each_event_links_to_the_one_before_it(events):
    chain = list(AuditEvent.objects.order_by("seq"))
    assert [row.seq for row in chain] == list(range(1, len(chain) + 1))
    prev_hash = GENESIS_HASH
    for row in chain:
        assert row.prev_hash == prev_hash
        assert row.hash == documented_hash(row, prev_hash)
        prev_hash = row.hash
    head = AuditHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (chain[-1].seq, chain[-1].hash)


def test_an_untouched_chain_passes(events):
    total = AuditEvent.objects.count()
    assert verify_audit().startswith(f"{total} rows, chain intact")


def test_an_edited_row_is_named(events):
    victim = events[2]
    sql("UPDATE workspaces_auditevent SET target = %s WHERE id = %s", "innocent", victim.pk)
    message = broken_chain()
    assert "edited" in message
    assert f"event id {victim.pk} (seq {victim.seq}" in message


def test_an_edited_before_value_is_named(events):
    victim = events[1]
    AuditEvent.objects.filter(pk=victim.pk).update(after={"n": 99})
    assert f"event id {victim.pk} " in broken_chain()


def test_a_row_edited_and_rehashed_breaks_the_link_of_the_next(events):
    victim, successor = events[1], events[2]
    victim.target = "rewritten"
    victim.hash = documented_hash(victim, victim.prev_hash)
    AuditEvent.objects.filter(pk=victim.pk).update(target=victim.target, hash=victim.hash)
    message = broken_chain()
    assert "inserted or replaced" in message
    assert f"event id {successor.pk} (seq {successor.seq}" in message


def test_a_deleted_middle_row_is_a_gap(events):
    victim = events[2]
    sql("DELETE FROM workspaces_auditevent WHERE id = %s", victim.pk)
    message = broken_chain()
    assert "deleted" in message
    assert f"seq {victim.seq}," in message
    assert f"event id {events[3].pk}" in message


def test_deleting_the_newest_rows_shows_against_the_head(events):
    sql("DELETE FROM workspaces_auditevent WHERE id IN (%s, %s)", events[-1].pk, events[-2].pk)
    message = broken_chain()
    assert "deleted" in message
    assert f"seq {events[-2].seq} to {events[-1].seq}" in message


def test_a_row_inserted_behind_the_log_is_caught(events, workspace):
    last = events[-1]
    forged = AuditEvent(
        workspace=workspace,
        actor_label="admin",
        action="platform.enforced",
        target="web",
        after={"enforced": False},
        seq=last.seq + 1,
        prev_hash=last.hash,
    )
    forged.save()
    forged.refresh_from_db()
    AuditEvent.objects.filter(pk=forged.pk).update(hash=documented_hash(forged, last.hash))
    message = broken_chain()
    assert "inserted" in message
    assert f"after seq {last.seq}" in message


def test_a_rolled_back_event_never_enters_the_chain(
    workspace, personas, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record_audit("test.kept", actor=personas["admin"], workspace=workspace)
        with pytest.raises(RuntimeError), transaction.atomic():
            record_audit("test.rolled_back", actor=personas["admin"], workspace=workspace)
            raise RuntimeError("the action failed after its audit row")
        record_audit("test.kept", actor=personas["admin"], workspace=workspace)
    assert not AuditEvent.objects.filter(action="test.rolled_back").exists()
    assert verify_audit().startswith(f"{AuditEvent.objects.count()} rows, chain intact")


def test_events_wait_for_their_transaction_to_commit_before_joining(workspace, personas):
    # Inside the test's transaction nothing commits: the event is written, not chained.
    event = record_audit("test.event", actor=personas["admin"], workspace=workspace)
    event.refresh_from_db()
    assert (event.seq, event.hash) == (None, "")
    assert "waiting to join the chain" in verify_audit()
    assert chain_audit_events() >= 1
    event.refresh_from_db()
    assert event.seq is not None and event.hash
    assert "waiting" not in verify_audit()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_valid_chain(postgres):
    """Eight threads, each on its own connection, append in committed, rolled-back and
    autocommit transactions at once; the chain has no gap and no fork."""
    workers, per_worker = 8, 15
    start = threading.Barrier(workers)
    errors = []

    def append(n):
        try:
            start.wait()
            for i in range(per_worker):
                if i % 5 == 4:
                    try:
                        with transaction.atomic():
                            record_audit("test.rolled_back", target=f"{n}-{i}")
                            raise RuntimeError
                    except RuntimeError:
                        pass
                elif i % 2:
                    with transaction.atomic():
                        record_audit("test.concurrent", target=f"{n}-{i}")
                else:
                    record_audit("test.concurrent", target=f"{n}-{i}")
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    written = workers * (per_worker - per_worker // 5)
    assert AuditEvent.objects.filter(action="test.concurrent").count() == written
    assert not AuditEvent.objects.filter(action="test.rolled_back").exists()
    assert not AuditEvent.objects.filter(seq__isnull=True).exists()
    assert verify_audit().startswith(f"{AuditEvent.objects.count()} rows, chain intact")


@pytest.mark.django_db(transaction=True)
def test_the_migration_chains_the_events_written_before_it(workspace, personas):
    executor = MigrationExecutor(connection)
    executor.migrate([("workspaces", "0002_api_token")])
    old = executor.loader.project_state([("workspaces", "0002_api_token")]).apps
    OldEvent = old.get_model("workspaces", "AuditEvent")
    for n in range(3):
        OldEvent.objects.create(
            workspace_id=workspace.pk,
            actor_id=personas["admin"].pk,
            actor_label="admin",
            action="old.event",
            target=str(n),
            after={"n": n},
            ip="198.51.100.1",
        )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    rows = list(AuditEvent.objects.order_by("seq"))
    assert len(rows) == AuditEvent.objects.count() > 3
    assert [row.action for row in rows[-3:]] == ["old.event"] * 3
    assert verify_audit().startswith(f"{len(rows)} rows, chain intact")
    record_audit("new.event", actor=personas["admin"], workspace=workspace)
    assert AuditEvent.objects.get(action="new.event").seq == len(rows) + 1
    assert verify_audit().startswith(f"{len(rows) + 1} rows, chain intact")
