"""Tasks that exist only for the worker tests: a worker started by a test imports this
module with ``--include``; production workers never do."""

import os
import signal

from celery import shared_task

from installcheck.redis import client


@shared_task(name="tests.kill_own_process")
def kill_own_process(attempts_key):
    """Note the attempt, then die the way an OOM kill or a segfault would."""
    client().rpush(attempts_key, os.getpid())
    os.kill(os.getpid(), signal.SIGKILL)


@shared_task(name="tests.die_once")
def die_once(attempts_key, done_key):
    """Die on the first delivery only; note completion on the next."""
    if client().incr(attempts_key) == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    client().rpush(done_key, "done")


@shared_task(name="tests.record")
def record(key, value):
    client().rpush(key, value)
