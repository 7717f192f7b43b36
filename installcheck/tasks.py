"""Celery tasks: thin wrappers taking ids; each is safe to run twice."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import fold as folding
from .jobs import give_up, run_check
from .models import DailyCount, FoldBatch, VerificationFailure

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
    """Run the installation check of one job (installcheck.jobs.run_check)."""
    run_check(job_id)


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
