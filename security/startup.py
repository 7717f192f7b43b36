"""At start, the master keys must open what is stored, or the process refuses to serve.

A wrong ``VERITY_ENCRYPTION_KEYS`` would otherwise start happily and fail later, one
reveal or gateway snapshot at a time. Called by config/wsgi.py, config/asgi.py, the
Celery worker (config/celery.py) and the ``verity.E001`` system check.

What is checked: the newest and the oldest few identity secrets and messenger keys. The
newest catch a wrong key; the oldest catch an old key dropped before ``rotate_master_key``
re-encrypted everything. An empty database (or one not migrated yet) passes. A database
that cannot be reached is logged and let through: the gateway then answers 503 until it is
back, and the check runs again at the next start.
"""

import logging
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections

from . import crypto
from .models import IdentitySecret, MessengerKey

log = logging.getLogger("verity.startup")

SAMPLE = 5


class MasterKeyMismatch(ImproperlyConfigured):
    """The configured master keys cannot decrypt secrets stored in the database."""


def _sample(model, using):
    # A public messenger key has no ciphertext: nothing encrypted to open.
    rows = model.objects.using(using).exclude(ciphertext="").values_list("pk", "ciphertext")
    newest = list(rows.order_by("-created_at", "-pk")[:SAMPLE])
    oldest = list(rows.order_by("created_at", "pk")[:SAMPLE])
    return dict(newest + oldest)


def unreadable_secrets(using="default"):
    """(checked, unreadable): counts and labels of sampled rows no configured key opens.

    Raises DatabaseError when the database cannot be asked.
    """
    tables = set(connections[using].introspection.table_names())
    checked, unreadable = 0, []
    for model in (IdentitySecret, MessengerKey):
        if model._meta.db_table not in tables:
            continue  # not migrated yet: nothing can be stored
        for pk, ciphertext in _sample(model, using).items():
            checked += 1
            try:
                crypto.decrypt(ciphertext)
            except crypto.SecretUnreadable:
                unreadable.append(f"{model._meta.label} {pk}")
    return checked, unreadable


def mismatch_message(unreadable, checked):
    return (
        f"VERITY_ENCRYPTION_KEYS cannot decrypt {len(unreadable)} of {checked} sampled stored "
        f"secrets ({', '.join(unreadable)}). Is this the master key that encrypted them? "
        "When rotating, list the new key first and keep the old one until "
        "`manage.py rotate_master_key` has run."
    )


def verify_master_key(using="default", success_level=logging.INFO):
    """Raise MasterKeyMismatch if the master keys cannot open the stored secrets.

    Returns True when checked, False when the database could not be asked. A pass is
    logged at ``success_level`` (the system check, run by every management command, keeps
    it to DEBUG).
    """
    crypto.fernet()  # malformed or empty keys: ImproperlyConfigured
    try:
        checked, unreadable = unreadable_secrets(using)
    except DatabaseError as exc:
        log.warning(
            "master key not checked at start: the database cannot be reached (%s); "
            "the gateway answers 503 until it can",
            type(exc).__name__,
        )
        return False
    if unreadable:
        raise MasterKeyMismatch(mismatch_message(unreadable, checked))
    if checked:
        log.log(success_level, "master key opens the %d sampled stored secrets", checked)
    else:
        log.log(success_level, "master key check: no stored secrets yet")
    return True


def check_at_start(using="default"):
    """For process entry points: verify, then drop the connection used for it.

    A pre-forking server (gunicorn --preload) or the Celery pool forks after this, and no
    child may inherit a database connection. The check runs in a thread of its own:
    uvicorn imports the application inside its event loop, where Django refuses database
    calls, and the thread's connection is closed in that thread.
    """
    if not settings.VERITY_STARTUP_CHECK:
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(_verify_and_close, using).result()


def _verify_and_close(using):
    try:
        verify_master_key(using)
    finally:
        connections[using].close()
