"""Refusals are audited too: another workspace's door (404), a role's limit (403), a failed
login; and every audit row says the actor's role and address."""

from contextlib import contextmanager

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from security.actions.platforms import set_enforcement
from tests.factories import PASSWORD
from workspaces.access import record_refusal, workspace_for
from workspaces.actions import record_audit
from workspaces.models import AuditEvent

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.9"


@pytest.fixture(autouse=True)
def _private_cache(settings):
    # Login and reveal counters live in the cache: keep them out of the shared test Redis.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()


def refusals(**filters):
    return list(AuditEvent.objects.filter(action="access.refused", **filters).order_by("id"))


def overview(workspace):
    return reverse("security:overview", kwargs={"app_id": workspace.app_id})


def test_an_outsider_at_another_workspace_is_audited_in_that_workspace(client, workspace, personas):
    client.force_login(personas["outsider"])
    assert client.get(overview(workspace), REMOTE_ADDR=ADDRESS).status_code == 404
    [event] = refusals()
    assert event.workspace == workspace
    assert (event.actor, event.actor_label) == (personas["outsider"], "outsider")
    assert event.role == ""
    assert event.target == workspace.app_id
    assert event.after == {"need": "view", "status": 404}
    assert event.ip == ADDRESS


def test_a_probe_of_an_unknown_app_id_is_audited_without_a_workspace(client, personas):
    client.force_login(personas["outsider"])
    response = client.get(
        reverse("security:overview", kwargs={"app_id": "zzzzzzzz"}), REMOTE_ADDR=ADDRESS
    )
    assert response.status_code == 404
    [event] = refusals()
    assert (event.workspace, event.target, event.ip) == (None, "zzzzzzzz", ADDRESS)


def test_the_api_refusal_is_audited_with_the_address(workspace, personas):
    api = APIClient()
    api.force_authenticate(personas["outsider"])
    url = reverse("security-api:platform-list", kwargs={"app_id": workspace.app_id})
    assert api.get(url, REMOTE_ADDR=ADDRESS).status_code == 404
    [event] = refusals()
    assert (event.workspace, event.actor, event.ip) == (workspace, personas["outsider"], ADDRESS)


def test_a_spoofed_forwarded_for_is_not_the_recorded_address(client, workspace, personas):
    client.force_login(personas["outsider"])
    client.get(overview(workspace), REMOTE_ADDR=ADDRESS, HTTP_X_FORWARDED_FOR="10.1.1.1")
    assert refusals()[0].ip == ADDRESS


@pytest.mark.parametrize("role", ["developer", "viewer"])
def test_a_member_refused_by_role_is_audited_with_the_role(client, workspace, personas, role):
    client.force_login(personas[role])
    url = reverse(
        "security-api:platform-update", kwargs={"app_id": workspace.app_id, "platform": "web"}
    )
    response = client.patch(
        url, {"enforced": True}, content_type="application/json", REMOTE_ADDR=ADDRESS
    )
    assert response.status_code == 403
    [event] = refusals()
    assert (event.workspace, event.actor, event.role) == (workspace, personas[role], role)
    assert event.after == {"need": "admin", "status": 403}
    assert event.ip == ADDRESS


def test_a_developer_refused_the_audit_log_is_audited(client, workspace, personas):
    client.force_login(personas["developer"])
    assert client.get(reverse("workspaces:audit-log", args=[workspace.app_id])).status_code == 403
    [event] = refusals()
    assert (event.role, event.after) == ("developer", {"need": "admin", "status": 403})


def test_support_reading_the_audit_log_is_not_a_refusal(client, workspace, personas):
    client.force_login(personas["support"])
    assert client.get(reverse("workspaces:audit-log", args=[workspace.app_id])).status_code == 200
    assert refusals() == []


def test_allowed_access_records_nothing(client, workspace, personas):
    client.force_login(personas["viewer"])
    assert client.get(overview(workspace)).status_code == 200
    assert refusals() == []


def test_a_refusal_outlives_the_rollback_of_a_view_transaction(
    client, workspace, personas, monkeypatch
):
    """With every view in a transaction (ATOMIC_REQUESTS), the 404 rolls the view's
    transaction back; the refusal is written once the request has ended."""
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    client.force_login(personas["outsider"])
    assert client.get(overview(workspace), REMOTE_ADDR=ADDRESS).status_code == 404
    [event] = refusals()
    assert (event.workspace, event.ip) == (workspace, ADDRESS)


@contextmanager
def serving(**request):
    """A request's start and end signals around the block, as a server sends them (without
    closing the test's database connection, as Django's test client does)."""
    environ = RequestFactory().get("/", **request).environ
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        request_started.send(sender=None, environ=environ)
        try:
            yield
        finally:
            request_finished.send(sender=None)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_a_refusal_inside_a_transaction_waits_for_the_end_of_the_request(workspace, personas):
    with serving(REMOTE_ADDR=ADDRESS):
        with pytest.raises(Http404), transaction.atomic():
            workspace_for(personas["outsider"], workspace.app_id, "admin")
        assert refusals() == []  # rolled back with the transaction, had it been written
    [event] = refusals()
    assert (event.after, event.ip) == ({"need": "admin", "status": 404}, ADDRESS)


def test_outside_a_request_the_refusal_is_written_at_once(workspace, personas):
    with pytest.raises(PermissionDenied):
        workspace_for(personas["viewer"], workspace.app_id, "admin")
    [event] = refusals()
    assert (event.role, event.ip) == ("viewer", None)


def test_a_failed_reveal_can_be_recorded_by_the_reveal_flow(workspace, personas):
    record_refusal(
        "secret.reveal_refused",
        actor=personas["developer"],
        workspace=workspace,
        target="hmac:web",
        after={"reason": "wrong_password"},
        ip=ADDRESS,
    )
    event = AuditEvent.objects.get(action="secret.reveal_refused")
    assert (event.role, event.ip, event.target) == ("developer", ADDRESS, "hmac:web")


def test_a_failed_login_is_audited_without_the_password(client, personas):
    client.post(
        reverse("workspaces:login"),
        {"username": "admin", "password": "Wr0ng-Guess-42"},
        REMOTE_ADDR=ADDRESS,
    )
    event = AuditEvent.objects.get(action="login.failed")
    assert (event.target, event.ip, event.actor, event.role) == ("admin", ADDRESS, None, "")
    assert event.actor_label == "anonymous"
    assert event.workspace is None
    row = AuditEvent.objects.filter(pk=event.pk).values().get()
    assert "Wr0ng-Guess-42" not in str(row)


def test_a_login_with_an_unknown_username_records_the_name_tried(client, db):
    client.post(
        reverse("workspaces:login"), {"username": "mallory", "password": "x"}, REMOTE_ADDR=ADDRESS
    )
    assert AuditEvent.objects.get(action="login.failed").target == "mallory"


def test_attempts_during_a_lockout_are_audited_as_locked_out(client, personas):
    for _ in range(6):
        client.post(reverse("workspaces:login"), {"username": "viewer", "password": "wrong"})
    events = list(AuditEvent.objects.filter(action="login.failed").order_by("id"))
    assert len(events) == 6
    assert events[-1].after == {"locked_out": True}
    assert events[0].after == {}


def test_a_successful_login_records_no_failure(client, personas):
    client.post(reverse("workspaces:login"), {"username": "admin", "password": PASSWORD})
    assert not AuditEvent.objects.filter(action="login.failed").exists()


def test_a_wrong_password_re_entered_for_a_reveal_is_not_a_failed_login(workspace, personas):
    api = APIClient()
    api.force_authenticate(personas["admin"])
    url = reverse(
        "security-api:secret-reveal", kwargs={"app_id": workspace.app_id, "platform": "web"}
    )
    assert api.post(url, {"password": "nope"}, format="json").status_code == 403
    assert not AuditEvent.objects.filter(action="login.failed").exists()


def test_someone_elses_password_tried_while_signed_in_is_a_failed_login(personas):
    request = RequestFactory().post("/login/", REMOTE_ADDR=ADDRESS)
    request.user = personas["viewer"]
    assert authenticate(request, username="admin", password="guess") is None
    event = AuditEvent.objects.get(action="login.failed")
    assert (event.target, event.actor, event.ip) == ("admin", personas["viewer"], ADDRESS)


@pytest.mark.parametrize(
    "who, role",
    [("admin", "admin"), ("viewer", "viewer"), ("support", "support"), ("outsider", "")],
)
def test_the_actors_role_at_the_time_is_looked_up(workspace, personas, who, role):
    event = record_audit("test.event", actor=personas[who], workspace=workspace)
    assert event.role == role


def test_a_given_role_is_kept_and_no_workspace_means_no_role(workspace, personas):
    assert record_audit("x", actor=personas["admin"], workspace=workspace, role="").role == ""
    assert record_audit("x", actor=personas["admin"]).role == ""
    assert record_audit("x").actor_label == "system"


def test_the_audit_page_and_api_show_the_role(client, workspace, personas):
    set_enforcement(workspace, "web", True, actor=personas["admin"])
    client.force_login(personas["admin"])
    html = client.get(reverse("workspaces:audit-log", args=[workspace.app_id])).content.decode()
    assert "<th>Role</th>" in html
    api = APIClient()
    api.force_authenticate(personas["admin"])
    url = reverse("workspaces-api:audit-list", kwargs={"app_id": workspace.app_id})
    rows = api.get(url, {"action": "platform.enforced"}).json()["results"]
    assert rows[0]["role"] == "admin"
