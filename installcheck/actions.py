"""Starting an installation check: the one writer both doors call."""

import logging

from django.db import transaction
from django.utils import timezone

from workspaces.refusals import Refused

from .jobs import CHECK_INSTALLATION, transition
from .models import Job, JobState
from .tasks import check_installation

log = logging.getLogger("verity.jobs")

QUEUE_UNAVAILABLE = "queue_unavailable"
QUEUE_UNAVAILABLE_MESSAGE = (
    "The job queue is unavailable, so the check could not start. The gateway keeps "
    "working; retry in a minute, and tell your operator if this persists."
)
# Publishing gives up after about this long when the broker is down.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5}


def _publish(job_id):
    """Queue the job's task; when the broker refuses, the job is stored as failed (so the
    attempt stays visible) and the caller gets a 503."""
    try:
        check_installation.apply_async((job_id,), retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except Exception as exc:  # kombu raises several types for an unreachable broker
        log.error("cannot queue job %s: %s", job_id, type(exc).__name__)
        transition(
            job_id, JobState.FAILED, finished_at=timezone.now(), error=QUEUE_UNAVAILABLE_MESSAGE
        )
        raise Refused(
            QUEUE_UNAVAILABLE, QUEUE_UNAVAILABLE_MESSAGE, status=503, retry_after=60
        ) from exc


def start_check(workspace, *, actor):
    """Queue an installation check of ``workspace`` (the caller checked ``run_check``).

    The task is published after the transaction that stores the job commits, so a worker
    always finds the row, and a job whose transaction rolls back is never run. Called
    outside any transaction (both doors), that is at once, and a broker that is down
    refuses with 503 ``queue_unavailable``.
    """
    with transaction.atomic():
        job = Job.objects.create(
            kind=CHECK_INSTALLATION,
            workspace=workspace,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        transaction.on_commit(lambda: _publish(job.pk))
    return job
