"""Workers dying under their tasks: a fold killed mid-way is redelivered and counts
nothing twice; a task that dies once is redelivered and runs; a task that crashes its
worker on every delivery is dropped after VERITY_TASK_MAX_DELIVERIES, logged, and the
worker keeps serving.

The worker tests start a real ``celery worker`` (prefork, one child: the parent survives
the child being killed and, with ``reject_on_worker_lost``, puts the message back)."""

import logging
import os
import signal
from pathlib import Path

import pytest
from django.core.management import call_command

from config.celery import DELIVERIES_KEY, _count_delivery
from installcheck import fold as folding
from installcheck.counting import buffer
from installcheck.models import DailyCount, Job
from installcheck.tasks import check_installation, fold_counts
from tests.installcheck.celery_worker import wait_for, worker_fixture  # noqa: F401 (fixture)
from tests.installcheck.poison_tasks import die_once, kill_own_process, record
from tests.installcheck.traffic import send, send_verified

POISON = "tests.installcheck.poison_tasks"


def pool_children(process):
    """Pids of the prefork pool's children of the worker ``process``."""
    path = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    return [int(pid) for pid in path.read_text().split()]


@pytest.mark.celery
@pytest.mark.slow
@pytest.mark.parametrize("point", ["rename", "commit"])
def test_a_fold_whose_process_is_killed_is_redelivered_and_counts_nothing_twice(
    worker, workspace, redis_client, point
):
    # Every delivery pauses at ``point``; the first is killed there, the redelivery finishes.
    process = worker(pool="prefork", VERITY_FOLD_TEST_PAUSE=f"{point}:6")
    for n in range(10):
        send_verified(workspace, f"u{n}")
    buffer.flush()
    fold_counts.delay()
    paused = f"fold paused at {point}"
    wait_for(lambda: paused in process.log_text(), what=f"the pause at {point}")
    (child,) = pool_children(process)
    # The gateway keeps counting while the fold hangs.
    for n in range(5):
        send(workspace, user_id=f"late{n}")
    buffer.flush()

    os.kill(child, signal.SIGKILL)

    def total():
        return sum(DailyCount.objects.filter(workspace=workspace).values_list("count", flat=True))

    wait_for(lambda: total() == 15, 90, "the redelivered fold")
    wait_for(
        lambda: not list(redis_client.scan_iter(match=folding.FOLDING_COUNTS + "*")),
        30,
        "the folding keys to be cleared",
    )
    assert process.log_text().count(paused) >= 2  # delivered again after the kill
    folding.fold()
    assert total() == 15
    assert process.poll() is None


@pytest.mark.celery
@pytest.mark.slow
def test_a_task_that_kills_its_worker_every_time_is_dropped_after_the_cap(worker, redis_client):
    process = worker(pool="prefork", include=[POISON], VERITY_TASK_MAX_DELIVERIES="3")

    sent = kill_own_process.delay("attempts")

    dropped = f"tests.kill_own_process[{sent.id}] dropped: delivered 4 times"
    wait_for(lambda: dropped in process.log_text(), 90, "the poison task to be dropped")
    assert redis_client.llen("attempts") == 3
    assert "ERROR" in next(line for line in process.log_text().splitlines() if dropped in line)
    # The worker lives on and serves the next task; the poison is not delivered again.
    record.delay("served", "after the poison")
    wait_for(lambda: redis_client.lrange("served", 0, -1), 30, "the next task")
    assert redis_client.lrange("served", 0, -1) == ["after the poison"]
    assert process.poll() is None
    assert redis_client.llen("attempts") == 3
    assert redis_client.ttl(DELIVERIES_KEY + sent.id) > 0  # the count expires by itself


@pytest.mark.celery
@pytest.mark.slow
def test_a_task_killed_once_is_redelivered_and_runs_once(worker, redis_client):
    process = worker(pool="prefork", include=[POISON])

    sent = die_once.delay("die-once", "die-once-done")

    wait_for(lambda: redis_client.lrange("die-once-done", 0, -1), 60, "the redelivered task")
    assert redis_client.get("die-once") == "2"
    assert redis_client.lrange("die-once-done", 0, -1) == ["done"]
    # Finished: its delivery count is forgotten.
    wait_for(lambda: not redis_client.exists(DELIVERIES_KEY + sent.id), 10, "the count cleared")
    assert "dropped" not in process.log_text()


def deliver(task, task_id, *args):
    """Call ``task`` as the worker does for a delivery of message ``task_id``."""
    task.push_request(id=task_id, called_directly=False, delivery_info={})
    try:
        return task(*args)
    finally:
        task.pop_request()


@pytest.mark.django_db
def test_a_dropped_check_job_is_failed_with_a_message_for_the_user(workspace, caplog, settings):
    settings.REDIS_URL = None  # the count lives in the database cache without Redis
    call_command("createcachetable", verbosity=0)
    settings.VERITY_TASK_MAX_DELIVERIES = 2
    job = Job.objects.create(kind="check_installation", workspace=workspace, state="running")
    for _ in range(2):  # two deliveries that died mid-run
        _count_delivery("job-task")

    with caplog.at_level(logging.ERROR, logger="verity.tasks"):
        deliver(check_installation, "job-task", job.pk)

    job.refresh_from_db()
    assert job.state == "failed"
    assert "crashed its worker several times" in job.error
    assert job.finished_at is not None
    assert "installcheck.check_installation[job-task] dropped" in caplog.text


@pytest.mark.django_db
def test_a_delivery_under_the_cap_runs_and_forgets_its_count(workspace, redis_client):
    _count_delivery("fold-task")

    assert deliver(fold_counts, "fold-task") is not None

    assert not redis_client.exists(DELIVERIES_KEY + "fold-task")


@pytest.mark.django_db
def test_direct_calls_are_not_counted(redis_client):
    fold_counts()
    assert not list(redis_client.scan_iter(match=DELIVERIES_KEY + "*"))
