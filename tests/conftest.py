import pytest
from django.conf import settings
from django.db import connection

from tests.factories import make_user, make_workspace
from tests.services import require


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    # schemathesis 4.32 (the fuzz tests) reads Node._nodeid, which pytest 9.2 no longer has.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@pytest.fixture
def redis_client():
    """A client on the test Redis database, emptied before and after the test."""
    if not settings.REDIS_URL:
        require("Redis", "REDIS_URL is not set")
    from installcheck.redis import client

    redis = client()
    try:
        redis.ping()
    except Exception as exc:
        require("Redis", f"cannot reach {settings.REDIS_URL}: {exc}")
    redis.flushdb()
    yield redis
    redis.flushdb()


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        require("PostgreSQL", "DATABASE_URL does not point to PostgreSQL")


@pytest.fixture(autouse=True)
def _fresh_gateway_state():
    from installcheck.counting import buffer
    from installcheck.limits import diagnosis_budget, limiter
    from security.snapshots import snapshots
    from security.tokens import verified_tokens

    snapshots.clear()
    buffer.flush_discard()
    limiter.clear()
    diagnosis_budget.clear()
    verified_tokens.clear()
    yield
    snapshots.clear()
    buffer.flush_discard()


@pytest.fixture(autouse=True)
def _mail_tasks_run_inline(monkeypatch):
    """Mail tasks published in a test run in it (retries included): messages land in the
    outbox or the test's SMTP server, not in a broker no worker reads."""
    from workspaces import tasks

    for task in (tasks.send_email, tasks.send_password_reset, tasks.send_invitation):
        monkeypatch.setattr(task, "delay", lambda *args, task=task: task.apply(args).get())


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server the test's mail goes to (tests/smtp.py); ``.messages``."""
    from tests.smtp import SmtpServer, point_django_at

    server = SmtpServer()
    point_django_at(settings, server.port)
    yield server
    server.stop()


@pytest.fixture
def workspace(db):
    return make_workspace("Acme")


@pytest.fixture
def personas(workspace):
    """An admin, a developer, a viewer of ``workspace``, an outsider and a support user."""
    from workspaces.actions import add_member, grant_support

    people = {}
    for role in ("admin", "developer", "viewer"):
        people[role] = make_user(role)
        add_member(workspace, people[role], role)
    people["outsider"] = make_user("outsider")
    people["support"] = make_user("support")
    grant_support(people["support"])
    return people
