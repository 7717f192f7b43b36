"""The installation-check job: its visible state machine and the runner the task calls.

Starting a job is an action (installcheck.actions.start_check); the Celery task
(installcheck.tasks.check_installation) only calls ``run_check`` with the job's id.
"""

import contextlib
import logging

from django.utils import timezone

from . import fold as folding
from .models import JOB_TRANSITIONS, Job, JobState
from .recompute import recompute_workspace

log = logging.getLogger("verity.jobs")

CHECK_INSTALLATION = "check_installation"


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


def run_check(job_id):
    """Fold the latest counts and recompute every installation status of the job's
    workspace, storing progress, timing, the result or the error on the Job row. Safe to
    run twice: a job that is no longer queued is left alone."""
    try:
        transition(job_id, JobState.RUNNING, started_at=timezone.now(), progress=0)
    except LostRace:
        log.info("job %s already finished; nothing to do", job_id)
        return
    job = Job.objects.get(pk=job_id)
    try:
        folded = folding.fold()
        set_progress(job_id, 20)
        statuses = recompute_workspace(
            job.workspace_id, on_progress=lambda share: set_progress(job_id, 20 + 79 * share)
        )
    except Exception as exc:
        log.exception("job %s failed", job_id)
        transition(
            job_id,
            JobState.FAILED,
            finished_at=timezone.now(),
            error=f"{type(exc).__name__}: the check could not finish. Retry it; if it fails "
            "again, tell your operator.",
        )
        return
    transition(
        job_id,
        JobState.SUCCEEDED,
        finished_at=timezone.now(),
        progress=100,
        result={
            "installations": sum(statuses.values()),
            "by_status": statuses,
            "folded": folded.as_dict(),
        },
    )
