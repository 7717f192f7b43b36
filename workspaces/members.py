"""Members of a workspace and its [TEST] twin (one list, kept on the production side):
change a role, remove a member; never the last admin. Each change is audited."""

from django.db import transaction

from .actions import record_audit
from .models import Membership, Role, Workspace
from .refusals import Refused

LAST_ADMIN = "last_admin"
NO_SUCH_MEMBER = "no_such_member"
INVALID_ROLE = "invalid_role"


def members_of(workspace):
    """The workspace's memberships (its twin's too: the same rows), by username."""
    return (
        Membership.objects.filter(workspace_id=workspace.roster_id)
        .select_related("user")
        .order_by("user__username")
    )


def check_role(role, field="role"):
    """``role`` if it is one, else a 400 naming the roles (the form and the API's)."""
    if role not in Role.values:
        raise Refused(
            INVALID_ROLE,
            f"Choose a role: {', '.join(Role.values)}.",
            status=400,
            field=field,
        )
    return role


def lock_roster(workspace):
    """Lock the row of the workspace that holds the member list, so that member changes
    (and accepted invitations) of a workspace and its twin take turns: two admins demoting
    each other at once cannot leave it without one."""
    Workspace.objects.select_for_update().filter(pk=workspace.roster_id).first()


def _member(workspace, username):
    membership = members_of(workspace).filter(user__username=username).first()
    if membership is None:
        raise Refused(NO_SUCH_MEMBER, f"{username} is not a member of this workspace.", status=404)
    return membership


def _keep_an_admin(workspace, membership, doing):
    others = (
        Membership.objects.filter(workspace_id=workspace.roster_id, role=Role.ADMIN)
        .exclude(pk=membership.pk)
        .exists()
    )
    if not others:
        raise Refused(
            LAST_ADMIN,
            f"{membership.user.get_username()} is the last admin of this workspace, so you "
            f"cannot {doing}. Make another member an admin first.",
            status=409,
            field="role",
        )


@transaction.atomic
def change_role(workspace, username, role, *, actor, ip=None):
    """Give a member another role (for the workspace and its twin alike); the last admin
    keeps theirs (409 ``last_admin``). The same role again changes and audits nothing."""
    check_role(role)
    lock_roster(workspace)
    membership = _member(workspace, username)
    before = membership.role
    if before == role:
        return membership
    if before == Role.ADMIN:
        _keep_an_admin(workspace, membership, "change their role")
    # Audited first: the actor's role then, should they be changing their own.
    record_audit(
        "member.role_changed",
        actor=actor,
        workspace=workspace,
        target=username,
        before={"role": before},
        after={"role": role},
        ip=ip,
    )
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def remove_member(workspace, username, *, actor, ip=None):
    """Take a member out of the workspace and its twin; never the last admin (409
    ``last_admin``). Their next request to it is a 404, like any outsider's."""
    lock_roster(workspace)
    membership = _member(workspace, username)
    if membership.role == Role.ADMIN:
        _keep_an_admin(workspace, membership, "remove them")
    # Audited first: the actor's role is looked up, and they may be removing themselves.
    record_audit(
        "member.removed",
        actor=actor,
        workspace=workspace,
        target=username,
        before={"role": membership.role},
        after={},
        ip=ip,
    )
    membership.delete()
