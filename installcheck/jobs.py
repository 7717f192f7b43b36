"""The installation-check job: starting it, and its visible state machine."""

import contextlib
import logging

from django.db import transaction
from django.utils import timezone

from .models import JOB_TRANSITIONS, Job, JobState

log = logging.getLogger("verity.jobs")

CHECK_INSTALLATION = "check_installation"
# Publishing gives up after about this long when the broker is down.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5}


class QueueUnavailable(Exception):
    """The job queue (broker) did not accept the job."""

    message = (
        "The job queue is unavailable, so the check could not start. The gateway keeps "
        "working; retry in a minute, and tell your operator if this persists."
    )


class LostRace(Exception):
    """The job was no longer in a state that allows the transition."""


def transition(job_id, new_state, **fields):
    """Move a job to ``new_state`` if its current state allows it (a conditional update)."""
    allowed_from = [old for old, targets in JOB_TRANSITIONS.items() if new_state in targets]
    updated = Job.objects.filter(pk=job_id, state__in=allowed_from).update(
        state=new_state, **fields
    )
    if not updated:
        raise LostRace(f"job {job_id} cannot become {new_state}")


def give_up(job_id):
    """Mark a job failed because its task was dropped after crashing its worker on every
    delivery (VERITY_TASK_MAX_DELIVERIES); a job that already finished stays as it is."""
    with contextlib.suppress(LostRace):
        transition(
            job_id,
            JobState.FAILED,
            finished_at=timezone.now(),
            error="The check crashed its worker several times and was stopped. Retrying "
            "will probably fail the same way: tell your operator.",
        )


def set_progress(job_id, percent):
    Job.objects.filter(pk=job_id, state=JobState.RUNNING).update(
        progress=max(0, min(100, int(percent)))
    )


def start_check(workspace, *, actor):
    """Queue an installation check of ``workspace``; raises QueueUnavailable (the job is
    then stored as failed, so the attempt stays visible)."""
    from .tasks import check_installation

    with transaction.atomic():
        job = Job.objects.create(
            kind=CHECK_INSTALLATION,
            workspace=workspace,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
    # Published after the commit so the worker always finds the row.
    try:
        check_installation.apply_async((job.pk,), retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except Exception as exc:  # kombu raises several types for an unreachable broker
        log.error("cannot queue job %s: %s", job.pk, type(exc).__name__)
        transition(
            job.pk,
            JobState.FAILED,
            finished_at=timezone.now(),
            error=QueueUnavailable.message,
        )
        raise QueueUnavailable() from exc
    return job
