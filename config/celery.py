"""The Celery app: Redis broker when REDIS_URL is set, the filesystem broker otherwise."""

import logging
import os
from pathlib import Path

from celery import Celery, Task, signals
from celery.beat import PersistentScheduler
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from installcheck.redis import client

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

log = logging.getLogger("verity.tasks")

# How long a delivery count is kept: well above Redis's visibility timeout (1 h), after
# which a message whose worker vanished is delivered again.
DELIVERY_COUNT_TTL = 24 * 3600
DELIVERIES_KEY = "verity:task-deliveries:"


def _count_delivery(task_id):
    """Count one more delivery of ``task_id`` in a store that outlives the worker process
    (Redis, else the Django cache: the database in development); returns the count."""
    key = DELIVERIES_KEY + task_id
    if settings.REDIS_URL:
        pipe = client().pipeline()
        pipe.incr(key)
        pipe.expire(key, DELIVERY_COUNT_TTL)
        count, _ = pipe.execute()
        return int(count)
    count = (cache.get(key) or 0) + 1
    cache.set(key, count, DELIVERY_COUNT_TTL)
    return count


def _forget_deliveries(task_id):
    key = DELIVERIES_KEY + task_id
    if settings.REDIS_URL:
        client().delete(key)
    else:
        cache.delete(key)


class VerityTask(Task):
    """Every Verity task: a message delivered more than VERITY_TASK_MAX_DELIVERIES times is
    dropped instead of run.

    Tasks are acknowledged late and rejected back to the queue when their worker process
    dies (acks_late, reject_on_worker_lost), so a task that kills its worker every time
    would be redelivered forever. Each delivery is counted before the task runs, in a
    store that survives the worker; the count is forgotten when the task returns or
    raises, so a task killed once (a deploy, the OOM killer) simply runs again. Past the
    cap the task is logged as an ERROR, acknowledged without running, and its
    ``on_give_up(*args, **kwargs)`` option (a staticmethod) is called, e.g. to mark its
    job failed for the user.
    """

    on_give_up = None

    def __call__(self, *args, **kwargs):
        request = self.request
        task_id = request.id
        if not task_id or request.is_eager or request.called_directly:
            return super().__call__(*args, **kwargs)
        try:
            deliveries = _count_delivery(task_id)
        except Exception as exc:  # the count is a safety net: its store failing runs the task
            log.warning("cannot count deliveries of %s[%s]: %s", self.name, task_id, exc)
            deliveries = 0
        limit = settings.VERITY_TASK_MAX_DELIVERIES
        if deliveries > limit:
            log.error(
                "task %s[%s] dropped: delivered %s times, more than "
                "VERITY_TASK_MAX_DELIVERIES=%s (its worker died each time)",
                self.name,
                task_id,
                deliveries,
                limit,
            )
            if self.on_give_up is not None:
                try:
                    self.on_give_up(*args, **kwargs)
                except Exception:
                    log.exception("giving up on %s[%s] failed", self.name, task_id)
            return None
        try:
            return super().__call__(*args, **kwargs)
        finally:
            try:
                _forget_deliveries(task_id)
            except Exception as exc:  # expires by itself
                log.warning("cannot forget deliveries of %s[%s]: %s", self.name, task_id, exc)


class VerityScheduler(PersistentScheduler):
    """celery beat's file-backed scheduler, creating the schedule file's folder first:
    in production (DATABASE_URL and REDIS_URL set) nothing else creates VERITY_VAR_DIR,
    and beat would exit at once on a fresh checkout."""

    def setup_schedule(self):
        folder = Path(self.schedule_filename).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SystemExit(
                f"Verity beat cannot create {folder} for its schedule file ({exc.strerror}): "
                "set VERITY_VAR_DIR to a folder this user may write."
            ) from None
        super().setup_schedule()


app = Celery("verity", task_cls=VerityTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _schedule(sender, **kwargs):
    fold_every = settings.VERITY_FOLD_SECONDS
    sender.conf.beat_schedule_filename = str(settings.VAR_DIR / "celerybeat-schedule")
    sender.conf.beat_scheduler = "config.celery:VerityScheduler"
    sender.conf.beat_schedule = {
        "fold-counts": {
            "task": "installcheck.fold_counts",
            "schedule": fold_every,
            # A fold that waited longer than a few intervals is superseded by the next.
            "options": {"expires": fold_every * 3},
        },
        "prune": {"task": "installcheck.prune", "schedule": 3600.0, "options": {"expires": 600}},
        # JWKS sources are fetched again on this schedule (and on an unknown kid).
        "refresh-jwks": {
            "task": "security.refresh_jwks",
            "schedule": settings.VERITY_JWKS_REFRESH_SECONDS,
            "options": {"expires": settings.VERITY_JWKS_REFRESH_SECONDS},
        },
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
    # Here, not at the top: security.startup imports models, which need the app registry
    # that Django fills only after this module (loaded by config/__init__) is imported.
    from security.startup import check_at_start  # noqa: PLC0415

    try:
        check_at_start()
    except ImproperlyConfigured as exc:
        # Celery logs and swallows exceptions from signal handlers; SystemExit it does not.
        raise SystemExit(f"Verity worker refuses to start: {exc}") from None
