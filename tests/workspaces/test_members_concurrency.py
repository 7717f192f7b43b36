"""Races on PostgreSQL: two admins demoting (or removing) each other at once leave one
admin, and two clicks on one invitation join once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import make_user, make_workspace
from tests.security.test_secret_rotation_concurrency import race
from workspaces.actions import add_member
from workspaces.invitations import accept_invitation
from workspaces.members import change_role, remove_member
from workspaces.models import Invitation, Membership, Role
from workspaces.refusals import Refused


@pytest.fixture
def two_admins(transactional_db, postgres):
    workspace = make_workspace("Race")
    ann, bob = make_user("ann"), make_user("bob")
    add_member(workspace, ann, "admin")
    add_member(workspace, bob, "admin")
    return workspace, ann, bob


def admins(workspace):
    return Membership.objects.filter(workspace=workspace, role=Role.ADMIN).count()


def test_two_admins_demoting_each_other_leave_one(two_admins):
    workspace, ann, bob = two_admins
    results = race(
        lambda: change_role(workspace, "bob", "viewer", actor=ann),
        lambda: change_role(workspace.twin, "ann", "viewer", actor=bob),
    )
    refused = [r for r in results if isinstance(r, Refused)]
    assert [r.code for r in refused] == ["last_admin"], results
    assert admins(workspace) == 1


def test_two_admins_removing_each_other_leave_one(two_admins):
    workspace, ann, bob = two_admins
    results = race(
        lambda: remove_member(workspace, "bob", actor=ann),
        lambda: remove_member(workspace, "ann", actor=bob),
    )
    refused = [r for r in results if isinstance(r, Refused)]
    assert [r.code for r in refused] == ["last_admin"], results
    assert admins(workspace) == 1


def test_two_clicks_on_one_invitation_join_once(two_admins):
    workspace, ann, _ = two_admins
    carol = make_user("carol", email="carol@example.test")
    invitation = Invitation(
        workspace=workspace,
        email="carol@example.test",
        role="viewer",
        invited_by=ann,
        expires_at=timezone.now() + timedelta(days=7),
    )
    token = invitation.new_token()
    invitation.save()
    results = race(
        lambda: accept_invitation(invitation.pk, token, carol),
        lambda: accept_invitation(invitation.pk, token, carol),
    )
    refused = [r for r in results if isinstance(r, Refused)]
    assert [r.code for r in refused] in (["invitation_used"], ["already_member"]), results
    assert Membership.objects.filter(user=carol).count() == 1
