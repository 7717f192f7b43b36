"""Celery tasks: thin wrappers taking ids; each is safe to run twice."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import fold as folding
from .jobs import LostRace, give_up, set_progress, transition
from .models import DailyCount, FoldBatch, JobState, VerificationFailure
from .recompute import recompute_workspace

log = logging.getLogger("verity.tasks")


@shared_task(name="installcheck.fold_counts", ignore_result=True)
def fold_counts():
    """Fold the gateway's counts into the database (beat, every few seconds)."""
    result = folding.fold()
    if result.batches or result.skipped_batches:
        log.info("folded %s", result.as_dict())
    return result.as_dict()


@shared_task(
    name="installcheck.check_installation",
    ignore_result=True,
    # Called instead of the task once it has crashed its worker too often (config.celery).
    on_give_up=staticmethod(give_up),
)
def check_installation(job_id):
    """Fold the latest counts and recompute every installation status of the job's
    workspace, storing progress, timing, the result or the error on the Job row."""
    from .models import Job

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


@shared_task(name="installcheck.prune", ignore_result=True)
def prune():
    """Delete daily counts and log entries past retention, and old fold markers."""
    now = timezone.now()
    days = settings.VERITY_RETENTION_DAYS
    counts, _ = DailyCount.objects.filter(day__lt=(now - timedelta(days=days)).date()).delete()
    failures, _ = VerificationFailure.objects.filter(
        created_at__lt=now - timedelta(days=days)
    ).delete()
    # A batch marker only guards against re-applying a leftover key, which the next fold
    # (seconds later) handles: a day of markers is plenty.
    batches, _ = FoldBatch.objects.filter(created_at__lt=now - timedelta(days=1)).delete()
    return {"daily_counts": counts, "failures": failures, "batches": batches}
