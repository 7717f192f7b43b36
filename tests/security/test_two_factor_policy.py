"""The workspace's "require two-factor for members": one action at both doors, admins
only, audited, shared with the [TEST] twin; members without a factor are sent to enrol
(console) or get 403 two_factor_required (API). Support staff need a factor outside
DEBUG."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from security.actions.two_factor import set_two_factor_required
from tests.factories import give_totp
from workspaces.models import AuditEvent, Workspace

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def policy_url(workspace):
    return f"/api/v1/workspaces/{workspace.app_id}/two-factor/"


def page_url(workspace):
    return reverse("security:two-factor-policy", kwargs={"app_id": workspace.app_id})


def test_an_admin_with_a_factor_requires_it_through_the_api_audited(workspace, personas):
    give_totp(personas["admin"])
    response = api(personas["admin"]).patch(
        policy_url(workspace), {"require_two_factor": True}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"require_two_factor": True}
    assert Workspace.objects.get(pk=workspace.pk).require_two_factor
    event = AuditEvent.objects.get(action="workspace.two_factor_required")
    assert event.workspace == workspace and event.role == "admin"
    assert (event.before, event.after) == (
        {"require_two_factor": False},
        {"require_two_factor": True},
    )


def test_an_admin_without_a_factor_must_enrol_first_at_both_doors(client, workspace, personas):
    response = api(personas["admin"]).patch(
        policy_url(workspace), {"require_two_factor": True}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"] == "enrol_first"
    client.force_login(personas["admin"])
    page = client.post(page_url(workspace), {"require_two_factor": "on"})
    assert page.status_code == 409
    assert "Set up an authenticator app or a passkey" in page.content.decode()
    assert not Workspace.objects.get(pk=workspace.pk).require_two_factor


def test_the_console_page_calls_the_same_action(client, workspace, personas):
    give_totp(personas["admin"])
    client.force_login(personas["admin"])
    assert client.post(page_url(workspace), {"require_two_factor": "on"}).status_code == 302
    assert Workspace.objects.get(pk=workspace.pk).require_two_factor
    assert client.post(page_url(workspace), {}).status_code == 302
    assert not Workspace.objects.get(pk=workspace.pk).require_two_factor
    assert AuditEvent.objects.filter(action="workspace.two_factor_optional").exists()


@pytest.mark.parametrize(
    ("role", "status"), [("developer", 403), ("viewer", 403), ("outsider", 404), ("support", 404)]
)
def test_only_admins_change_it(client, workspace, personas, role, status):
    response = api(personas[role]).patch(
        policy_url(workspace), {"require_two_factor": False}, format="json"
    )
    assert response.status_code == status
    client.force_login(personas[role])
    assert client.get(page_url(workspace)).status_code == status


@pytest.mark.parametrize(("role", "status"), [("admin", 200), ("developer", 200), ("viewer", 200)])
def test_members_read_it(workspace, personas, role, status):
    response = api(personas[role]).get(policy_url(workspace))
    assert response.status_code == status
    assert response.json() == {"require_two_factor": False}


def test_a_bad_value_is_a_400(workspace, personas):
    response = api(personas["admin"]).patch(
        policy_url(workspace), {"require_two_factor": "maybe"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"


@pytest.fixture
def required(workspace, personas):
    give_totp(personas["admin"])
    set_two_factor_required(workspace, True, actor=personas["admin"])
    return workspace


def test_a_member_without_a_factor_gets_a_clear_403_in_the_api(required, personas):
    response = api(personas["developer"]).get(f"/api/v1/workspaces/{required.app_id}/platforms/")
    assert response.status_code == 403
    assert response.json()["error"] == "two_factor_required"
    assert "/profile/two-factor/" in response.json()["message"]


def test_a_member_without_a_factor_is_sent_to_enrol_in_the_console(client, required, personas):
    client.force_login(personas["developer"])
    overview = reverse("security:overview", kwargs={"app_id": required.app_id})
    response = client.get(overview)
    assert response.status_code == 302
    assert response.url.startswith(reverse("security:two-factor"))
    enrol = client.get(response.url)
    assert enrol.status_code == 200
    assert 'data-testid="two-factor-required"' in enrol.content.decode()


def test_the_test_twin_shares_the_setting(client, required, personas):
    # One member list for the workspace and its twin: the developer is a member of both.
    twin = required.twin
    response = api(personas["developer"]).get(f"/api/v1/workspaces/{twin.app_id}/platforms/")
    assert response.json()["error"] == "two_factor_required"
    assert api(personas["admin"]).get(policy_url(twin)).json() == {"require_two_factor": True}
    assert api(personas["outsider"]).get(policy_url(twin)).status_code == 404


def test_a_member_with_a_factor_opens_the_workspace(required, personas):
    give_totp(personas["developer"])
    response = api(personas["developer"]).get(f"/api/v1/workspaces/{required.app_id}/platforms/")
    assert response.status_code == 200


def test_outsiders_still_get_404_not_the_enrolment(required, personas):
    response = api(personas["outsider"]).get(f"/api/v1/workspaces/{required.app_id}/platforms/")
    assert response.status_code == 404


def test_support_without_a_factor_is_refused_outside_debug(client, personas, settings):
    support = personas["support"]
    support.authenticatorapp_set.all().delete()
    response = api(support).get("/api/v1/support/rotations/")
    assert response.status_code == 403
    assert response.json()["error"] == "two_factor_required"
    client.force_login(support)
    page = client.get(reverse("security:support-home"))
    assert page.status_code == 302 and page.url.startswith(reverse("security:two-factor"))
    settings.DEBUG = True
    assert api(support).get("/api/v1/support/rotations/").status_code == 200


def test_support_with_a_factor_opens_the_support_console(client, personas):
    assert api(personas["support"]).get("/api/v1/support/rotations/").status_code == 200


def test_the_audit_log_is_gated_too(client, required, personas):
    admin = personas["admin"]
    admin.authenticatorapp_set.all().delete()
    response = api(admin).get(f"/api/v1/workspaces/{required.app_id}/audit/")
    assert response.status_code == 403
    assert response.json()["error"] == "two_factor_required"


@pytest.mark.parametrize("value", ["true", 1, "yes", None])
def test_only_a_json_boolean_is_accepted(workspace, personas, value):
    response = api(personas["admin"]).patch(
        policy_url(workspace), {"require_two_factor": value}, format="json"
    )
    assert response.status_code == 400
