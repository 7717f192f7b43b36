"""Trusted domains through both doors: one action (add_trusted_domain) judges the value,
so the console and the API refuse with the same message and audit alike."""

import html
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import make_user, make_workspace
from workspaces.actions import add_member, record_origins_seen
from workspaces.models import AuditEvent, Invitation, TrustedDomain

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    admin = make_user("doors-admin")
    spaces = [make_workspace("Door A"), make_workspace("Door B")]
    for workspace in spaces:
        add_member(workspace, admin, "admin")
    return admin, spaces


def both(client, admin, spaces, domain):
    a, b = spaces
    client.force_login(admin)
    page = client.post(f"/w/{a.app_id}/trusted-domains/", {"domain": domain})
    api = APIClient()
    api.force_authenticate(admin)
    answer = api.post(
        f"/api/v1/workspaces/{b.app_id}/trusted-domains/", {"domain": domain}, format="json"
    )
    return page, answer


@pytest.mark.parametrize(
    "domain, code", [("https://shop.example.com/", "invalid_domain"), ("*.*.com", "invalid_domain")]
)
def test_a_bad_domain_is_refused_alike(client, pair, domain, code):
    admin, spaces = pair
    page, answer = both(client, admin, spaces, domain)
    body = answer.json()
    assert (answer.status_code, body["error"]) == (400, code)
    assert body["fields"] == {"domain": [body["message"]]}
    assert html.escape(body["message"]) in page.content.decode()
    assert not AuditEvent.objects.filter(action="trusted_domain.added").exists()


def test_a_domain_is_added_and_audited_alike_and_a_duplicate_refused_alike(client, pair):
    admin, spaces = pair
    page, answer = both(client, admin, spaces, "Shop.Example.com")
    assert page.status_code == 302 and answer.status_code == 201
    rows = [
        AuditEvent.objects.values_list("target", "before", "after").get(
            workspace=w, action="trusted_domain.added"
        )
        for w in spaces
    ]
    assert (
        rows[0]
        == rows[1]
        == ("shop.example.com", {"domains": []}, {"domains": ["shop.example.com"]})
    )
    page, answer = both(client, admin, spaces, "shop.example.com")
    assert (answer.status_code, answer.json()["error"]) == (409, "duplicate_domain")
    assert html.escape(answer.json()["message"]) in page.content.decode()


def seen(workspace, *origins):
    """What installcheck records after a fold: (name, days ago, requests)."""
    now = timezone.now()
    record_origins_seen(
        workspace.pk,
        [
            {"name": name, "last_seen": now - timedelta(days=days), "requests": requests}
            for name, days, requests in origins
        ],
    )


def test_a_first_domain_is_confirmed_against_the_other_origins_seen_alike(client, pair):
    """Issue 17 #6: the first domain refuses every other origin; both doors say which."""
    admin, spaces = pair
    for workspace in spaces:
        seen(
            workspace,
            ("shop.example.com", 0, 40),
            ("staging.example.net", 1, 12),
            ("(no origin)", 2, 3),
            ("gone.example.org", 9, 50),  # outside the 7 days
        )
    page, answer = both(client, admin, spaces, "shop.example.com")
    body = answer.json()
    assert (answer.status_code, body["error"], body["reason"]) == (
        409,
        "confirmation_required",
        "other_origins_seen",
    )
    assert [(o["name"], o["requests"]) for o in body["origins"]] == [
        ("staging.example.net", 12),
        ("(no origin)", 3),
    ]
    assert body["window_days"] == 7
    content = page.content.decode()
    assert page.status_code == 200 and 'data-testid="confirmation"' in content
    assert html.escape(body["message"]) in content
    assert "staging.example.net" in content and "gone.example.org" not in content
    assert not TrustedDomain.objects.exists()

    a, b = spaces
    client.post(f"/w/{a.app_id}/trusted-domains/", {"domain": "shop.example.com", "confirm": "on"})
    api = APIClient()
    api.force_authenticate(admin)
    url = f"/api/v1/workspaces/{b.app_id}/trusted-domains/"
    assert api.post(url, {"domain": "shop.example.com", "confirm": True}, "json").status_code == 201
    rows = [
        AuditEvent.objects.values_list("target", "after").get(
            workspace=w, action="trusted_domain.added"
        )
        for w in spaces
    ]
    assert rows[0] == rows[1] == ("shop.example.com", {"domains": ["shop.example.com"]})
    # A second domain narrows nothing further: no confirmation.
    page, answer = both(client, admin, spaces, "staging.example.net")
    assert page.status_code == 302 and answer.status_code == 201


def test_a_first_domain_covering_every_origin_seen_needs_no_confirmation(client, pair):
    admin, spaces = pair
    for workspace in spaces:
        seen(workspace, ("www.example.com", 0, 5), ("app.example.com", 1, 5))
    page, answer = both(client, admin, spaces, "*.example.com")
    assert page.status_code == 302 and answer.status_code == 201


# ---- members and invitations: workspaces.members and workspaces.invitations ---------------


@pytest.fixture
def teams(pair):
    """Two workspaces with the same admin and a developer each."""
    admin, spaces = pair
    dev = make_user("doors-dev", email="doors-dev@example.test")
    for workspace in spaces:
        add_member(workspace, dev, "developer")
    return admin, spaces


def api_as(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_last_admin_is_kept_alike(client, teams):
    admin, (a, b) = teams
    client.force_login(admin)
    page = client.post(f"/w/{a.app_id}/members/doors-admin/role", {"role": "viewer"})
    answer = api_as(admin).patch(
        f"/api/v1/workspaces/{b.app_id}/members/doors-admin/", {"role": "viewer"}, format="json"
    )
    assert (page.status_code, answer.status_code, answer.json()["error"]) == (
        409,
        409,
        "last_admin",
    )
    assert html.escape(answer.json()["message"]) in page.content.decode()
    page = client.post(f"/w/{a.app_id}/members/doors-admin/remove")
    answer = api_as(admin).delete(f"/api/v1/workspaces/{b.app_id}/members/doors-admin/")
    assert (page.status_code, answer.status_code, answer.json()["error"]) == (
        409,
        409,
        "last_admin",
    )
    assert html.escape(answer.json()["message"]) in page.content.decode()
    assert not AuditEvent.objects.filter(action__startswith="member.", actor=admin).exists()


def test_a_role_change_and_a_removal_are_audited_alike(client, teams):
    admin, (a, b) = teams
    client.force_login(admin)
    client.post(f"/w/{a.app_id}/members/doors-dev/role", {"role": "viewer"})
    api_as(admin).patch(
        f"/api/v1/workspaces/{b.app_id}/members/doors-dev/", {"role": "viewer"}, format="json"
    )
    client.post(f"/w/{a.app_id}/members/doors-dev/remove")
    api_as(admin).delete(f"/api/v1/workspaces/{b.app_id}/members/doors-dev/")
    for action in ("member.role_changed", "member.removed"):
        rows = [
            AuditEvent.objects.values_list("actor_label", "role", "target", "before", "after").get(
                workspace=w, action=action
            )
            for w in (a, b)
        ]
        assert rows[0] == rows[1], action


@pytest.mark.parametrize(
    "email, status, code",
    [("not-an-address", 400, "invalid_email"), ("doors-dev@example.test", 409, "already_member")],
)
def test_a_refused_invitation_is_refused_alike(client, teams, email, status, code):
    admin, (a, b) = teams
    client.force_login(admin)
    page = client.post(f"/w/{a.app_id}/members/", {"email": email, "role": "viewer"})
    answer = api_as(admin).post(
        f"/api/v1/workspaces/{b.app_id}/invitations/",
        {"email": email, "role": "viewer"},
        format="json",
    )
    assert (page.status_code, answer.status_code, answer.json()["error"]) == (status, status, code)
    assert html.escape(answer.json()["message"]) in page.content.decode()
    assert not AuditEvent.objects.filter(action="member.invited").exists()


def test_invitations_are_sent_resent_revoked_and_audited_alike(
    client, teams, smtp_server, django_capture_on_commit_callbacks
):
    admin, (a, b) = teams
    client.force_login(admin)
    api = api_as(admin)
    body = {"email": "Guest@Example.test", "role": "viewer"}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/w/{a.app_id}/members/", body).status_code == 302
        assert (
            api.post(f"/api/v1/workspaces/{b.app_id}/invitations/", body, format="json").status_code
            == 201
        )
    ids = [Invitation.objects.get(workspace=w).pk for w in (a, b)]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/w/{a.app_id}/invitations/{ids[0]}/resend")
        api.post(f"/api/v1/workspaces/{b.app_id}/invitations/{ids[1]}/resend/")
    client.post(f"/w/{a.app_id}/invitations/{ids[0]}/revoke")
    api.delete(f"/api/v1/workspaces/{b.app_id}/invitations/{ids[1]}/")
    assert len(smtp_server.messages) == 4
    assert {m.envelope_to[0] for m in smtp_server.messages} == {"guest@example.test"}
    for action in ("member.invited", "invitation.resent", "invitation.revoked"):
        rows = []
        for w in (a, b):
            row = AuditEvent.objects.values("actor_label", "target", "before", "after").get(
                workspace=w, action=action
            )
            for side in ("before", "after"):
                row[side].pop("invitation", None)
                row[side].pop("expires_at", None)
            rows.append(row)
        assert rows[0] == rows[1], action
    # Revoking again: the same refusal at both doors.
    page = client.post(f"/w/{a.app_id}/invitations/{ids[0]}/revoke", follow=True)
    answer = api.delete(f"/api/v1/workspaces/{b.app_id}/invitations/{ids[1]}/")
    assert (answer.status_code, answer.json()["error"]) == (409, "invitation_closed")
    assert html.escape(answer.json()["message"]) in page.content.decode()
