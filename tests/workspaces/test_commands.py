"""Management commands of SPEC §7: create_workspace, add_member, grant_support, seed_demo."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from installcheck import counting, ping
from installcheck.management.commands import seed_demo
from installcheck.models import Installation, VerificationFailure
from security.models import IdentitySecret, MessengerKey, PlatformSettings
from tests.factories import make_user
from workspaces.access import is_support, membership_for
from workspaces.models import Membership, Workspace

pytestmark = pytest.mark.django_db


def run(*args, **options):
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def test_create_workspace_prints_a_fresh_app_id_and_provisions_its_twin():
    out = run("create_workspace", "--name", "Globex")
    app_id = out.strip()
    assert re.fullmatch(r"[a-z0-9]{8}", app_id)
    workspace = Workspace.objects.get(app_id=app_id)
    assert (workspace.name, workspace.is_test) == ("Globex", False)
    twin = workspace.twin
    assert twin.is_test and twin.app_id != app_id
    for ws in (workspace, twin):
        assert IdentitySecret.objects.filter(workspace=ws).count() == 3
        assert PlatformSettings.objects.filter(workspace=ws).count() == 3
        assert MessengerKey.objects.filter(workspace=ws, is_current=True).count() == 1
    web = {
        ws: IdentitySecret.objects.get(workspace=ws, platform="web").plaintext()
        for ws in (workspace, twin)
    }
    assert web[workspace] != web[twin]


def test_create_workspace_gives_each_workspace_its_own_app_id():
    ids = {run("create_workspace", "--name", f"W{n}").strip() for n in range(5)}
    assert len(ids) == 5


def test_create_workspace_with_admin_makes_them_admin_of_both():
    user = make_user("ann")
    app_id = run("create_workspace", "--name", "Initech", "--admin", "ann").strip()
    workspace = Workspace.objects.get(app_id=app_id)
    for ws in (workspace, workspace.twin):  # one member list for both
        assert membership_for(user, ws).role == "admin"
    assert Membership.objects.filter(user=user).count() == 1


def test_create_workspace_without_a_twin():
    workspace = Workspace.objects.get(
        app_id=run("create_workspace", "--name", "Solo", "--no-test-twin").strip()
    )
    assert workspace.twin is None


def test_create_workspace_with_an_unknown_admin_fails_and_creates_nothing():
    with pytest.raises(CommandError, match="No user named"):
        run("create_workspace", "--name", "Ghost", "--admin", "nobody")
    assert not Workspace.objects.exists()


def test_create_workspace_needs_a_name():
    with pytest.raises(CommandError):
        run("create_workspace", "--name", "   ")
    with pytest.raises(CommandError):
        run("create_workspace")


def test_add_member_gives_a_role(workspace):
    user = make_user("bob")
    out = run("add_member", workspace.app_id, "bob", "developer")
    assert "developer" in out
    assert Membership.objects.get(workspace=workspace, user=user).role == "developer"
    run("add_member", workspace.app_id, "bob", "viewer")
    assert Membership.objects.get(workspace=workspace, user=user).role == "viewer"


def test_add_member_refuses_a_bad_role(workspace):
    make_user("bob")
    with pytest.raises(CommandError):
        run("add_member", workspace.app_id, "bob", "owner")
    assert not Membership.objects.filter(user__username="bob").exists()


def test_add_member_refuses_an_unknown_user(workspace):
    with pytest.raises(CommandError, match="No user named"):
        run("add_member", workspace.app_id, "nobody", "viewer")


def test_add_member_refuses_an_unknown_workspace():
    make_user("bob")
    with pytest.raises(CommandError, match="No workspace"):
        run("add_member", "zzzzzzzz", "bob", "viewer")


def test_grant_support_makes_a_user_support_staff():
    user = make_user("sam")
    assert not is_support(user)
    assert "support" in run("grant_support", "sam")
    assert is_support(get_user_model().objects.get(pk=user.pk))


def test_grant_support_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="No user named"):
        run("grant_support", "nobody")


@pytest.fixture
def counted(settings, monkeypatch):
    """Route seed_demo's gateway traffic to a fresh database-backed buffer."""
    settings.REDIS_URL = None
    buffer = counting.CountBuffer()
    monkeypatch.setattr(ping, "buffer", buffer)
    monkeypatch.setattr(seed_demo, "buffer", buffer)
    return buffer


def test_seed_demo_refuses_to_run_outside_debug_without_force(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        run("seed_demo")
    assert not Workspace.objects.exists()


def test_seed_demo_runs_under_debug(settings, counted):
    settings.DEBUG = True
    assert "Demo logins" in run("seed_demo")


def test_seed_demo_is_idempotent(settings, counted):
    settings.DEBUG = False
    first = run("seed_demo", "--force")
    failures = VerificationFailure.objects.count()
    assert failures > 0  # the demo traffic went through the gateway
    installations = Installation.objects.count()
    state = (
        Workspace.objects.count(),
        Membership.objects.count(),
        get_user_model().objects.count(),
        IdentitySecret.objects.count(),
    )
    second = run("seed_demo", "--force")
    assert second.split("Demo workspace")[1] == first.split("Demo workspace")[1]  # same logins
    assert VerificationFailure.objects.count() == failures  # no second round of traffic
    assert Installation.objects.count() == installations
    assert state == (
        Workspace.objects.count(),
        Membership.objects.count(),
        get_user_model().objects.count(),
        IdentitySecret.objects.count(),
    )
    demo = Workspace.objects.get(name=seed_demo.DEMO_NAME, is_test=False)
    roles = dict(Membership.objects.filter(workspace=demo).values_list("user__username", "role"))
    assert roles == {"admin": "admin", "developer": "developer", "viewer": "viewer"}
    assert is_support(get_user_model().objects.get(username="support"))
    assert PlatformSettings.objects.get(workspace=demo, platform="android").enforced
