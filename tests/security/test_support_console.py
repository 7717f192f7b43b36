"""The support console pages (/support/)."""

import pytest

from security.actions.platforms import set_enforcement
from security.models import RotationMode, RotationRequest, RotationState
from tests.factories import secret_of

pytestmark = pytest.mark.django_db


def logged_in(client, user):
    client.force_login(user)
    return client


def no_secrets(html, workspace):
    for platform in ("web", "ios", "android"):
        assert secret_of(workspace, platform) not in html


@pytest.mark.parametrize("role", ["admin", "developer", "viewer", "outsider"])
def test_only_support_staff_see_the_support_console(client, workspace, personas, role):
    logged_in(client, personas[role])
    assert client.get("/support/").status_code == 403
    assert client.get(f"/support/w/{workspace.app_id}/").status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get("/support/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_support_finds_a_workspace_by_name_or_app_id(client, workspace, personas):
    logged_in(client, personas["support"])
    by_name = client.get("/support/?q=acme").content.decode()
    assert workspace.app_id in by_name
    by_id = client.get(f"/support/?q={workspace.app_id}").content.decode()
    assert workspace.display_name in by_id
    assert "No workspace matches" in client.get("/support/?q=zzz-nothing").content.decode()
    no_secrets(by_name, workspace)


def test_support_opens_follows_and_rotates_in_the_console(client, workspace, personas):
    set_enforcement(workspace, "web", True, actor=personas["admin"])
    logged_in(client, personas["support"])
    page = client.get(f"/support/w/{workspace.app_id}/").content.decode()
    assert "Overlap (no enforcement gap)" in page and "Enforcement off during the switch" in page
    response = client.post(
        f"/support/w/{workspace.app_id}/",
        {"platform": "web", "mode": "gap", "reason": "routine", "ticket": "SUP-7"},
    )
    request = RotationRequest.objects.get()
    assert response.status_code == 302
    detail = client.get(f"/support/rotations/{request.pk}/").content.decode()
    assert "Waiting for the customer to turn enforcement off on Web" in detail

    # While enforced, the rotate step is refused with what the customer must do.
    refused = client.post(f"/support/rotations/{request.pk}/rotate", follow=True)
    assert "must turn it off" in refused.content.decode()
    set_enforcement(workspace, "web", False, actor=personas["admin"])
    done = client.post(f"/support/rotations/{request.pk}/rotate", follow=True)
    request.refresh_from_db()
    assert request.state == RotationState.ROTATED
    html = done.content.decode()
    assert "Secret rotated" in html
    no_secrets(html, workspace)


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        (
            {"platform": "web", "mode": "overlap", "reason": "routine", "ticket": "T"},
            "Overlap mode needs a deadline",
        ),
        (
            {"platform": "web", "mode": "gap", "reason": "routine", "ticket": ""},
            "This field is required",
        ),
        (
            {"platform": "moon", "mode": "gap", "reason": "routine", "ticket": "T"},
            "Select a valid choice",
        ),
    ],
)
def test_open_form_errors_show_beside_the_field(client, workspace, personas, data, field_error):
    logged_in(client, personas["support"])
    response = client.post(f"/support/w/{workspace.app_id}/", data)
    assert response.status_code == 400
    assert field_error in response.content.decode()
    assert not RotationRequest.objects.exists()


def test_second_open_request_is_refused_with_a_message(client, workspace, personas):
    logged_in(client, personas["support"])
    data = {"platform": "ios", "mode": "gap", "reason": "routine", "ticket": "T"}
    client.post(f"/support/w/{workspace.app_id}/", data)
    again = client.post(f"/support/w/{workspace.app_id}/", data)
    assert "already has an open rotation request" in again.content.decode()
    assert RotationRequest.objects.count() == 1


def test_support_cancels_a_request(client, workspace, personas):
    logged_in(client, personas["support"])
    data = {"platform": "ios", "mode": "gap", "reason": "routine", "ticket": "T"}
    client.post(f"/support/w/{workspace.app_id}/", data)
    request = RotationRequest.objects.get()
    client.post(f"/support/rotations/{request.pk}/cancel")
    request.refresh_from_db()
    assert request.state == RotationState.CANCELLED


def test_unknown_workspace_and_request_are_404_for_support(client, personas):
    logged_in(client, personas["support"])
    assert client.get("/support/w/nosuchid/").status_code == 404
    assert client.get("/support/rotations/999/").status_code == 404


def test_admin_retires_the_old_secret_of_an_overlap_from_the_banner(client, workspace, personas):
    from security.actions import secret_rotation as rotation
    from security.models import RotationMode

    request = rotation.open_request(
        workspace,
        "web",
        mode=RotationMode.OVERLAP,
        reason="routine",
        ticket="T",
        overlap_hours=24,
        actor=personas["support"],
    )
    logged_in(client, personas["admin"])
    overview = client.get(f"/w/{workspace.app_id}/security/").content.decode()
    assert 'data-testid="accept-rotation"' in overview
    accepted = client.post(f"/w/{workspace.app_id}/rotations/{request.pk}/accept", follow=True)
    assert "Support can now rotate" in accepted.content.decode()
    rotation.rotate(request.pk, actor=personas["support"])
    overview = client.get(f"/w/{workspace.app_id}/security/").content.decode()
    assert "New secret deployed: retire the old one" in overview
    # No browser confirm() as the only guard: unused, the new secret needs the override.
    assert "data-confirm" not in overview
    assert 'data-testid="new-secret-unused"' in overview
    assert 'name="override" required' in overview
    url = f"/w/{workspace.app_id}/rotations/{request.pk}/finish"
    refused = client.post(url, follow=True).content.decode()
    assert "has not verified any request yet" in refused
    request.refresh_from_db()
    assert request.state == RotationState.ROTATED
    # Once the new secret verified traffic, no override is asked for.
    request.workspace.identity_secrets.filter(platform="web", version=request.new_version).update(
        last_used_at=request.updated_at
    )
    overview = client.get(f"/w/{workspace.app_id}/security/").content.decode()
    assert 'data-testid="new-secret-verified"' in overview and 'name="override"' not in overview
    response = client.post(url, follow=True)
    assert "only the new one verifies now" in response.content.decode()
    request.refresh_from_db()
    assert request.state == RotationState.COMPLETED


@pytest.mark.parametrize(
    ("role", "status"), [("developer", 403), ("viewer", 403), ("outsider", 404), ("support", 404)]
)
def test_only_the_admin_may_retire_the_old_secret(client, workspace, personas, role, status):
    from security.actions import secret_rotation as rotation
    from security.models import RotationMode

    request = rotation.open_request(
        workspace,
        "web",
        mode=RotationMode.OVERLAP,
        reason="routine",
        ticket="T",
        overlap_hours=24,
        actor=personas["support"],
    )
    logged_in(client, personas[role])
    accept = f"/w/{workspace.app_id}/rotations/{request.pk}/accept"
    assert client.post(accept).status_code == status
    rotation.accept(request.pk, actor=personas["admin"])
    rotation.rotate(request.pk, actor=personas["support"])
    url = f"/w/{workspace.app_id}/rotations/{request.pk}/finish"
    assert client.post(url).status_code == status
    request.refresh_from_db()
    assert request.state == RotationState.ROTATED


def test_rotation_modes_are_named_in_plain_words(client, workspace, personas):
    logged_in(client, personas["support"])
    page = client.get(f"/support/w/{workspace.app_id}/").content.decode()
    assert "seed method" not in page
    assert "seed" not in RotationMode.GAP.label.lower()
    assert page.count("Enforcement off during the switch") >= 2  # the choice and its help
