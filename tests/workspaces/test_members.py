"""Members and invitations: the page and the API by role, invitations through a real SMTP
server (single use, 7 days, revoke, resend), the last-admin guard, one member list for a
workspace and its [TEST] twin, and the audit trail of every step."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import make_user
from workspaces.actions import add_member
from workspaces.models import AuditEvent, Invitation, InvitationState, Membership

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^/\s]+(/invitations/\d+/[^\s/]+/)")
NEW_PASSWORD = "a brand new passphrase 42"


def api_for(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def members_url(workspace):
    return f"/api/v1/workspaces/{workspace.app_id}/members/"


def invitations_url(workspace):
    return f"/api/v1/workspaces/{workspace.app_id}/invitations/"


def invite(capture, user, workspace, email, role="developer"):
    with capture(execute=True):
        return api_for(user).post(
            invitations_url(workspace), {"email": email, "role": role}, format="json"
        )


def link_in(message):
    return LINK.search(message.get_content()).group(1)


def role_of(user, workspace):
    row = Membership.objects.filter(user=user, workspace_id=workspace.roster_id).first()
    return row.role if row else None


# ---- the page ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [("admin", 200), ("developer", 200), ("viewer", 200), ("outsider", 404), ("support", 404)],
)
def test_the_members_page_by_role(client, workspace, personas, role, status):
    client.force_login(personas[role])
    seen = timezone.now().replace(year=2026, month=11, day=30, hour=9, minute=5)
    get_user_model().objects.filter(username="developer").update(last_login=seen)
    response = client.get(f"/w/{workspace.app_id}/members/")
    assert response.status_code == status
    if status != 200:
        return
    html = response.content.decode()
    for name in ("admin", "developer", "viewer"):
        assert f'data-testid="member-{name}"' in html
    assert "2026-11-30 09:05 UTC" in html  # the house time style
    assert html.count('data-testid="member-2fa"') == 3  # the two-factor slot, no fake status
    assert ('data-testid="invite-form"' in html) == (role == "admin")
    assert ('data-testid="role-viewer"' in html) == (role == "admin")


@pytest.mark.parametrize("role", ["developer", "viewer"])
def test_developers_and_viewers_change_nothing_from_the_console(client, workspace, personas, role):
    client.force_login(personas[role])
    base = f"/w/{workspace.app_id}"
    invitation = Invitation.objects.create(
        workspace=workspace,
        email="x@example.test",
        role="viewer",
        expires_at=timezone.now() + timedelta(days=7),
    )
    answers = [
        client.post(f"{base}/members/", {"email": "new@example.test", "role": "admin"}),
        client.post(f"{base}/members/viewer/role", {"role": "admin"}),
        client.get(f"{base}/members/viewer/remove"),
        client.post(f"{base}/members/viewer/remove"),
        client.post(f"{base}/invitations/{invitation.pk}/resend"),
        client.post(f"{base}/invitations/{invitation.pk}/revoke"),
    ]
    assert [a.status_code for a in answers] == [403] * 6
    assert role_of(personas["viewer"], workspace) == "viewer"
    assert Invitation.objects.get().state == InvitationState.PENDING
    assert Invitation.objects.count() == 1


def test_the_console_changes_a_role_and_removes_after_confirmation(client, workspace, personas):
    client.force_login(personas["admin"])
    base = f"/w/{workspace.app_id}/members"
    assert client.post(f"{base}/viewer/role", {"role": "developer"}).status_code == 302
    assert role_of(personas["viewer"], workspace) == "developer"
    confirm = client.get(f"{base}/viewer/remove")
    assert confirm.status_code == 200 and 'data-testid="confirm-remove"' in confirm.content.decode()
    assert role_of(personas["viewer"], workspace) == "developer"  # asking removed nothing
    assert client.post(f"{base}/viewer/remove").status_code == 302
    assert role_of(personas["viewer"], workspace) is None


# ---- the API, route by route, role by role -------------------------------------------------

ROUTES = [
    ("get", "members/", None, 200),
    ("post", "members/", {"email": "new@example.test", "role": "viewer"}, 202),
    ("patch", "members/viewer/", {"role": "developer"}, 200),
    ("delete", "members/viewer/", None, 204),
    ("get", "invitations/", None, 200),
    ("post", "invitations/", {"email": "new@example.test", "role": "viewer"}, 201),
    ("delete", "invitations/{pk}/", None, 204),
    ("post", "invitations/{pk}/resend/", None, 200),
]
READS_FOR_EVERY_MEMBER = {("get", "members/")}


@pytest.mark.parametrize("role", ["admin", "developer", "viewer", "outsider", "support"])
@pytest.mark.parametrize("method, path, body, admin_status", ROUTES)
def test_each_route_answers_each_role(
    workspace,
    personas,
    django_capture_on_commit_callbacks,
    role,
    method,
    path,
    body,
    admin_status,
):
    invitation = Invitation.objects.create(
        workspace=workspace,
        email="open@example.test",
        role="viewer",
        expires_at=timezone.now() + timedelta(days=7),
    )
    url = f"/api/v1/workspaces/{workspace.app_id}/{path.format(pk=invitation.pk)}"
    with django_capture_on_commit_callbacks(execute=False):
        response = getattr(api_for(personas[role]), method)(url, body, format="json")
    if role == "admin":
        expected = admin_status
    elif role in ("outsider", "support"):
        expected = 404
    else:
        expected = 200 if (method, path) in READS_FOR_EVERY_MEMBER else 403
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert response.json()["error"] in ("not_found", "permission_denied")


def test_the_member_list_api(workspace, personas):
    rows = api_for(personas["viewer"]).get(members_url(workspace)).json()
    assert [(r["username"], r["role"]) for r in rows] == [
        ("admin", "admin"),
        ("developer", "developer"),
        ("viewer", "viewer"),
    ]
    assert set(rows[0]) >= {"email", "last_login", "member_since", "is_active"}


@pytest.mark.parametrize(
    "body, field",
    [
        ({"email": "not an address", "role": "viewer"}, "email"),
        ({"email": "a@example.test", "role": "owner"}, "role"),
        ({"email": 42, "role": "viewer"}, "email"),
        ({"role": "viewer"}, "email"),
    ],
)
def test_a_bad_invitation_is_a_400(workspace, personas, body, field):
    response = api_for(personas["admin"]).post(invitations_url(workspace), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Invitation.objects.exists()


# ---- invitations end to end ----------------------------------------------------------------


def test_an_invitation_creates_the_account_through_smtp(
    client, workspace, personas, smtp_server, django_capture_on_commit_callbacks
):
    response = invite(
        django_capture_on_commit_callbacks, personas["admin"], workspace, "Newbie@Example.test"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["email"], body["role"], body["state"]) == (
        "newbie@example.test",
        "developer",
        "pending",
    )
    [message] = smtp_server.messages
    assert message.envelope_to == ["newbie@example.test"]
    assert "admin invited you to Acme" in message["Subject"]
    link = link_in(message)
    token = link.rstrip("/").rsplit("/", 1)[1]
    stored = Invitation.objects.get()
    assert stored.digest == Invitation.digest_of(token) and token not in stored.digest
    assert stored.sent_at is not None and stored.times_sent == 1

    page = client.get(link)
    assert page.status_code == 200 and 'data-testid="accept-form"' in page.content.decode()
    weak = client.post(
        link, {"username": "newbie", "password1": "12345678", "password2": "12345678"}
    )
    assert weak.status_code == 400
    assert "too common" in weak.content.decode()
    assert not get_user_model().objects.filter(username="newbie").exists()

    joined = client.post(
        link, {"username": "newbie", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert joined.status_code == 302
    user = get_user_model().objects.get(username="newbie")
    assert user.email == "newbie@example.test" and user.check_password(NEW_PASSWORD)
    assert role_of(user, workspace) == "developer"
    assert client.get(f"/w/{workspace.app_id}/members/").status_code == 200  # logged in
    assert Invitation.objects.get().state == InvitationState.ACCEPTED
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"member.invited", "user.created", "member.added", "invitation.accepted"} <= actions

    again = Client().get(link)
    assert again.status_code == 410
    assert 'data-code="invitation_used"' in again.content.decode()


def test_an_expired_link_gets_its_page_and_joins_nobody(
    client, workspace, personas, smtp_server, django_capture_on_commit_callbacks
):
    invite(django_capture_on_commit_callbacks, personas["admin"], workspace, "late@example.test")
    link = link_in(smtp_server.messages[0])
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    page = client.get(link)
    assert page.status_code == 410
    assert "This invitation has expired" in page.content.decode()
    posted = client.post(
        link, {"username": "late", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert posted.status_code == 410
    assert not get_user_model().objects.filter(username="late").exists()


def test_a_link_expires_after_seven_days(workspace, personas, django_capture_on_commit_callbacks):
    invite(django_capture_on_commit_callbacks, personas["admin"], workspace, "a@example.test")
    invitation = Invitation.objects.get()
    assert invitation.expires_at - invitation.created_at == pytest.approx(
        timedelta(days=7), abs=timedelta(seconds=5)
    )


def test_a_revoked_link_says_so(
    client, workspace, personas, smtp_server, django_capture_on_commit_callbacks
):
    invite(django_capture_on_commit_callbacks, personas["admin"], workspace, "gone@example.test")
    link = link_in(smtp_server.messages[0])
    pk = Invitation.objects.get().pk
    api = api_for(personas["admin"])
    assert api.delete(f"{invitations_url(workspace)}{pk}/").status_code == 204
    page = client.get(link)
    assert page.status_code == 410 and "was revoked" in page.content.decode()
    again = api.delete(f"{invitations_url(workspace)}{pk}/")
    assert (again.status_code, again.json()["error"]) == (409, "invitation_closed")
    assert api.get(invitations_url(workspace)).json() == []
    assert (
        AuditEvent.objects.filter(action="invitation.revoked", target="gone@example.test").count()
        == 1
    )


def test_resending_kills_the_old_link(
    client, workspace, personas, smtp_server, django_capture_on_commit_callbacks
):
    invite(django_capture_on_commit_callbacks, personas["admin"], workspace, "twice@example.test")
    pk = Invitation.objects.get().pk
    Invitation.objects.update(expires_at=timezone.now() - timedelta(days=1))  # even expired
    with django_capture_on_commit_callbacks(execute=True):
        resent = api_for(personas["admin"]).post(f"{invitations_url(workspace)}{pk}/resend/")
    assert resent.status_code == 200 and resent.json()["expired"] is False
    old, new = (link_in(m) for m in smtp_server.messages)
    assert old != new
    stale = client.get(old)
    assert stale.status_code == 404 and 'data-code="invitation_invalid"' in stale.content.decode()
    assert client.get(new).status_code == 200
    assert Invitation.objects.get().times_sent == 2
    assert AuditEvent.objects.filter(action="invitation.resent").count() == 1


def test_a_wrong_or_odd_token_is_a_404_page_never_a_500(client, workspace, personas):
    invitation = Invitation.objects.create(
        workspace=workspace,
        email="x@example.test",
        role="viewer",
        expires_at=timezone.now() + timedelta(days=7),
    )
    for path in (
        f"/invitations/{invitation.pk}/wrong/",
        f"/invitations/{invitation.pk}/%00%ff%C3%A9/",
        f"/invitations/999999/{'a' * 43}/",
    ):
        assert client.get(path).status_code == 404
        assert client.post(path, {"username": "x"}).status_code == 404
    assert Invitation.objects.get().state == InvitationState.PENDING


def test_an_existing_user_logs_in_and_joins(
    client, workspace, personas, smtp_server, django_capture_on_commit_callbacks
):
    bob = make_user("bob", email="bob@example.test")
    invite(
        django_capture_on_commit_callbacks,
        personas["admin"],
        workspace,
        "BOB@example.test",
        role="viewer",
    )
    link = link_in(smtp_server.messages[0])
    anonymous = client.get(link).content.decode()
    assert (
        'data-testid="login-to-accept"' in anonymous
        and 'data-testid="accept-form"' not in anonymous
    )
    client.force_login(bob)
    assert client.post(link).status_code == 302
    assert role_of(bob, workspace) == "viewer"
    assert AuditEvent.objects.filter(action="invitation.accepted", actor=bob).exists()


def test_another_account_cannot_accept_and_is_told_why(
    client, workspace, personas, smtp_server, django_capture_on_commit_callbacks
):
    invite(django_capture_on_commit_callbacks, personas["admin"], workspace, "carol@example.test")
    link = link_in(smtp_server.messages[0])
    mallory = make_user("mallory", email="mallory@example.test")
    client.force_login(mallory)
    page = client.get(link)
    assert page.status_code == 403
    text = page.content.decode()
    assert 'data-code="email_mismatch"' in text and "carol@example.test" in text
    assert client.post(link).status_code == 403
    assert role_of(mallory, workspace) is None
    assert Invitation.objects.get().state == InvitationState.PENDING


def test_a_member_or_an_open_invitation_is_not_invited_twice(
    workspace, personas, django_capture_on_commit_callbacks
):
    already = invite(
        django_capture_on_commit_callbacks, personas["admin"], workspace, personas["viewer"].email
    )
    assert (already.status_code, already.json()["error"]) == (409, "already_member")
    invite(django_capture_on_commit_callbacks, personas["admin"], workspace, "once@example.test")
    twice = invite(
        django_capture_on_commit_callbacks, personas["admin"], workspace, "ONCE@example.test"
    )
    assert (twice.status_code, twice.json()["error"]) == (409, "already_invited")
    assert Invitation.objects.count() == 1


def test_an_invitation_email_that_fails_is_retried_and_logged(
    workspace, personas, django_capture_on_commit_callbacks, settings, caplog
):
    from tests.smtp import point_django_at

    point_django_at(settings, 9)  # nothing listens: every attempt fails
    from workspaces import tasks

    tasks.send_invitation.max_retries = 1
    try:
        with pytest.raises(Exception):  # noqa: B017, PT011  (Celery's retry gives up)
            invite(
                django_capture_on_commit_callbacks,
                personas["admin"],
                workspace,
                "far@remote.example",
            )
    finally:
        tasks.send_invitation.max_retries = 8
    lines = [r.getMessage() for r in caplog.records if r.name == "verity.mail"]
    assert len(lines) >= 2  # the first try and the retry
    assert all("remote.example" in line and "far@" not in line for line in lines)
    assert Invitation.objects.get().sent_at is None


# ---- the last admin ------------------------------------------------------------------------


def test_the_last_admin_is_never_demoted_or_removed(workspace, personas):
    api = api_for(personas["admin"])
    demote = api.patch(f"{members_url(workspace)}admin/", {"role": "viewer"}, format="json")
    assert (demote.status_code, demote.json()["error"]) == (409, "last_admin")
    remove = api.delete(f"{members_url(workspace)}admin/")
    assert (remove.status_code, remove.json()["error"]) == (409, "last_admin")
    assert role_of(personas["admin"], workspace) == "admin"
    assert (
        api.patch(
            f"{members_url(workspace)}developer/", {"role": "admin"}, format="json"
        ).status_code
        == 200
    )
    assert (
        api.patch(f"{members_url(workspace)}admin/", {"role": "viewer"}, format="json").status_code
        == 200
    )
    # Now "developer" is the only admin, and the former admin is a viewer.
    dev_api = api_for(personas["developer"])
    again = dev_api.delete(f"{members_url(workspace)}developer/")
    assert (again.status_code, again.json()["error"]) == (409, "last_admin")


def test_the_console_says_why_the_last_admin_stays(client, workspace, personas):
    client.force_login(personas["admin"])
    base = f"/w/{workspace.app_id}/members"
    demoted = client.post(f"{base}/admin/role", {"role": "developer"})
    assert demoted.status_code == 409
    assert "last admin" in demoted.content.decode()
    removed = client.post(f"{base}/admin/remove")
    assert removed.status_code == 409 and 'data-code="last_admin"' in removed.content.decode()
    assert role_of(personas["admin"], workspace) == "admin"


def test_an_unknown_member_is_a_404(workspace, personas):
    api = api_for(personas["admin"])
    response = api.patch(f"{members_url(workspace)}nobody/", {"role": "viewer"}, format="json")
    assert (response.status_code, response.json()["error"]) == (404, "no_such_member")
    assert api.delete(f"{members_url(workspace)}outsider/").status_code == 404


# ---- one list for a workspace and its twin -------------------------------------------------


def test_a_workspace_and_its_twin_share_one_member_list(
    client, workspace, personas, smtp_server, django_capture_on_commit_callbacks
):
    twin = workspace.twin
    admin = api_for(personas["admin"])

    def listing(w):
        return [(r["username"], r["role"]) for r in admin.get(members_url(w)).json()]

    assert listing(workspace) == listing(twin)
    # Added through the twin, a member of both.
    invite(django_capture_on_commit_callbacks, personas["admin"], twin, "tess@example.test")
    client.post(
        link_in(smtp_server.messages[0]),
        {"username": "tess", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert ("tess", "developer") in listing(workspace)
    assert listing(workspace) == listing(twin)
    # Role changed on production: the same on the twin.
    admin.patch(f"{members_url(workspace)}tess/", {"role": "viewer"}, format="json")
    assert ("tess", "viewer") in listing(twin) and listing(workspace) == listing(twin)
    # Removed on the twin: gone from production, and the twin is a 404 for them.
    assert admin.delete(f"{members_url(twin)}tess/").status_code == 204
    assert "tess" not in [name for name, _ in listing(workspace)]
    tess = get_user_model().objects.get(username="tess")
    assert api_for(tess).get(members_url(workspace)).status_code == 404
    assert api_for(tess).get(members_url(twin)).status_code == 404
    # Stored once: no membership rows on the twin at all.
    assert not Membership.objects.filter(workspace=twin).exists()


def test_add_member_on_the_twin_keeps_one_list(workspace, personas):
    extra = make_user("extra")
    add_member(workspace.twin, extra, "developer")
    assert role_of(extra, workspace) == "developer"
    assert not Membership.objects.filter(workspace=workspace.twin).exists()
    rows = api_for(extra).get("/api/v1/workspaces/").json()
    assert {(r["app_id"], r["role"]) for r in rows} == {
        (workspace.app_id, "developer"),
        (workspace.twin.app_id, "developer"),
    }


def test_the_migration_moves_twin_memberships_to_production(workspace, personas):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("workspaces.migrations.0005_invitations")
    only_twin, both = make_user("only-twin"), personas["viewer"]
    Membership.objects.create(user=only_twin, workspace=workspace.twin, role="developer")
    Membership.objects.create(user=both, workspace=workspace.twin, role="admin")
    migration.share_twin_member_lists(apps, None)
    assert not Membership.objects.filter(workspace=workspace.twin).exists()
    assert role_of(only_twin, workspace) == "developer"
    assert role_of(both, workspace) == "viewer"  # the production role wins


# ---- the audit trail -----------------------------------------------------------------------


def test_every_step_is_audited_with_before_and_after(
    client, workspace, personas, smtp_server, django_capture_on_commit_callbacks
):
    invite(
        django_capture_on_commit_callbacks,
        personas["admin"],
        workspace,
        "aud@example.test",
        role="viewer",
    )
    api = api_for(personas["admin"])
    pk = Invitation.objects.get().pk
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"{invitations_url(workspace)}{pk}/resend/")
    client.post(
        link_in(smtp_server.messages[-1]),
        {"username": "aud", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    api.patch(f"{members_url(workspace)}aud/", {"role": "developer"}, format="json")
    api.delete(f"{members_url(workspace)}aud/")
    rows = list(
        AuditEvent.objects.filter(workspace=workspace)
        .order_by("id")
        .values_list("action", "actor_label", "target", "before", "after")
    )
    by_action = {row[0]: row for row in rows}
    assert by_action["member.invited"][1:3] == ("admin", "aud@example.test")
    assert by_action["member.invited"][4]["role"] == "viewer"
    assert by_action["invitation.resent"][1:3] == ("admin", "aud@example.test")
    assert by_action["invitation.accepted"][1:3] == ("aud", "aud@example.test")
    assert by_action["invitation.accepted"][4]["invited_by"] == "admin"
    assert by_action["member.role_changed"][1:] == (
        "admin",
        "aud",
        {"role": "viewer"},
        {"role": "developer"},
    )
    assert by_action["member.removed"][1:4] == ("admin", "aud", {"role": "developer"})
    assert not any("token" in str(row) for row in rows)


def test_the_token_is_in_no_audit_row_and_no_log(
    workspace, personas, smtp_server, django_capture_on_commit_callbacks, caplog
):
    invite(django_capture_on_commit_callbacks, personas["admin"], workspace, "sec@example.test")
    token = link_in(smtp_server.messages[0]).rstrip("/").rsplit("/", 1)[1]
    assert token not in caplog.text
    for row in AuditEvent.objects.values_list("target", "before", "after"):
        assert token not in str(row)


def test_invitation_emails_are_capped_per_workspace_and_hour(
    workspace, personas, django_capture_on_commit_callbacks, monkeypatch
):
    from django.core.cache import cache

    from workspaces import invitations

    cache.clear()
    monkeypatch.setattr(invitations, "SENDS_PER_HOUR", 2)
    for n in range(2):
        assert (
            invite(
                django_capture_on_commit_callbacks, personas["admin"], workspace, f"p{n}@x.test"
            ).status_code
            == 201
        )
    over = invite(django_capture_on_commit_callbacks, personas["admin"], workspace, "p9@x.test")
    assert (over.status_code, over.json()["error"]) == (429, "rate_limited")
    assert 0 < int(over["Retry-After"]) <= 3600
    pk = Invitation.objects.first().pk
    resent = api_for(personas["admin"]).post(f"{invitations_url(workspace)}{pk}/resend/")
    assert resent.status_code == 429
    assert Invitation.objects.count() == 2
    cache.clear()


def test_the_broker_never_carries_the_token(
    workspace, personas, smtp_server, django_capture_on_commit_callbacks, monkeypatch
):
    from workspaces import tasks

    published = []
    real = tasks.send_invitation.delay
    monkeypatch.setattr(
        tasks.send_invitation, "delay", lambda *args: (published.append(args), real(*args))
    )
    invite(django_capture_on_commit_callbacks, personas["admin"], workspace, "b@example.test")
    token = link_in(smtp_server.messages[0]).rstrip("/").rsplit("/", 1)[1]
    assert published == [(Invitation.objects.get().pk, "http://testserver")]
    assert token not in repr(published)
