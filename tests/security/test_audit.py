import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from security.actions.platforms import set_enforcement
from workspaces.actions import add_trusted_domain, record_audit

pytestmark = pytest.mark.django_db


def page_url(ws):
    return reverse("workspaces:audit-log", kwargs={"app_id": ws.app_id})


def api_url(ws):
    return reverse("workspaces-api:audit-list", kwargs={"app_id": ws.app_id})


def test_admin_reads_before_and_after(client, workspace, personas):
    set_enforcement(workspace, "web", True, actor=personas["admin"])
    client.force_login(personas["admin"])
    html = client.get(page_url(workspace)).content.decode()
    assert "platform.enforced" in html
    assert "<dt>enforced</dt><dd>no</dd>" in html
    assert "<dt>enforced</dt><dd>yes</dd>" in html


def test_filters_by_action_and_actor(client, workspace, personas):
    set_enforcement(workspace, "web", True, actor=personas["admin"])
    add_trusted_domain(workspace, "example.com", actor=personas["admin"])
    client.force_login(personas["admin"])
    page = client.get(page_url(workspace), {"action": "trusted_domain.added"}).context["page"]
    assert [e.action for e in page] == ["trusted_domain.added"]
    page = client.get(page_url(workspace), {"actor": "nobody"}).context["page"]
    assert list(page) == []


def test_log_is_paginated(client, workspace, personas):
    for n in range(30):
        record_audit("test.event", actor=personas["admin"], workspace=workspace, target=str(n))
    client.force_login(personas["admin"])
    first = client.get(page_url(workspace), {"action": "test.event"})
    assert len(first.context["page"]) == 25
    second = client.get(page_url(workspace), {"action": "test.event", "page": 2})
    assert len(second.context["page"]) == 5
    assert "?action=test.event&page=2" in first.content.decode()


def test_secret_looking_values_are_hidden(client, workspace, personas):
    record_audit("odd", actor=personas["admin"], workspace=workspace, after={"secret": "s3cr3t"})
    client.force_login(personas["admin"])
    html = client.get(page_url(workspace)).content.decode()
    assert "s3cr3t" not in html
    assert "(hidden)" in html


@pytest.mark.parametrize("role", ["developer", "viewer"])
def test_non_admins_cannot_read_the_log(client, workspace, personas, role):
    client.force_login(personas[role])
    assert client.get(page_url(workspace)).status_code == 403


def test_outsider_gets_404(client, workspace, personas):
    client.force_login(personas["outsider"])
    assert client.get(page_url(workspace)).status_code == 404


def test_support_sees_only_their_own_actions(client, workspace, personas):
    set_enforcement(workspace, "web", True, actor=personas["admin"])
    record_audit("rotation.requested", actor=personas["support"], workspace=workspace)
    client.force_login(personas["support"])
    page = client.get(page_url(workspace)).context["page"]
    assert [e.action for e in page] == ["rotation.requested"]
    api = APIClient()
    api.force_authenticate(personas["support"])
    rows = api.get(api_url(workspace)).json()["results"]
    assert [row["action"] for row in rows] == ["rotation.requested"]


def test_support_gets_404_for_unknown_workspaces(client, personas):
    client.force_login(personas["support"])
    assert (
        client.get(reverse("workspaces:audit-log", kwargs={"app_id": "zzzzzzzz"})).status_code
        == 404
    )


@pytest.mark.parametrize(
    "role, status",
    [
        ("admin", 200),
        ("developer", 403),
        ("viewer", 403),
        ("outsider", 404),
        ("support", 200),
    ],
)
def test_api_roles(workspace, personas, role, status):
    api = APIClient()
    api.force_authenticate(personas[role])
    assert api.get(api_url(workspace)).status_code == status


def test_api_filters_and_never_returns_secrets(workspace, personas):
    record_audit("odd", actor=personas["admin"], workspace=workspace, before={"api_key": "k"})
    set_enforcement(workspace, "ios", True, actor=personas["admin"])
    api = APIClient()
    api.force_authenticate(personas["admin"])
    rows = api.get(api_url(workspace), {"action": "odd"}).json()["results"]
    assert rows[0]["before"] == {"api_key": "(hidden)"}
    rows = api.get(api_url(workspace), {"action": "platform.enforced"}).json()["results"]
    assert rows[0]["after"] == {"enforced": True}
    assert rows[0]["actor"] == "admin"


def test_audit_page_query_count_is_bounded(
    client, workspace, personas, django_assert_max_num_queries
):
    for n in range(30):
        record_audit("test.event", actor=personas["admin"], workspace=workspace, target=str(n))
    client.force_login(personas["admin"])
    with django_assert_max_num_queries(15):
        client.get(page_url(workspace))
