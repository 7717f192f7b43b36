"""The Celery app: Redis broker when REDIS_URL is set, the filesystem broker otherwise."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("verity")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _schedule(sender, **kwargs):
    from django.conf import settings

    fold_every = settings.VERITY_FOLD_SECONDS
    sender.conf.beat_schedule_filename = str(settings.VAR_DIR / "celerybeat-schedule")
    sender.conf.beat_schedule = {
        "fold-counts": {
            "task": "installcheck.fold_counts",
            "schedule": fold_every,
            # A fold that waited longer than a few intervals is superseded by the next.
            "options": {"expires": fold_every * 3},
        },
        "prune": {"task": "installcheck.prune", "schedule": 3600.0, "options": {"expires": 600}},
        # Overlap rotations end at their deadline even if the customer never confirms.
        "expire-overlaps": {
            "task": "security.expire_overlaps",
            "schedule": 60.0,
            "options": {"expires": 120},
        },
    }


@signals.worker_init.connect
def _refuse_a_wrong_master_key(sender=None, **kwargs):
    """A worker whose master key cannot open the stored secrets does not start."""
    from django.core.exceptions import ImproperlyConfigured

    from security.startup import check_at_start

    try:
        check_at_start()
    except ImproperlyConfigured as exc:
        # Celery logs and swallows exceptions from signal handlers; SystemExit it does not.
        raise SystemExit(f"Verity worker refuses to start: {exc}") from None
