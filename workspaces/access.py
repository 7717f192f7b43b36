"""Who may do what in a workspace: the one access helper every view and API route uses,
and the audit events of its refusals."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404

from . import signals
from .actions import record_audit
from .models import SUPPORT_GROUP, SUPPORT_ROLE, Membership, Role, Workspace

# The audit action of a refused workspace access (404 or 403; ``after`` says which).
ACCESS_REFUSED = "access.refused"

# What each role may do (SPEC §6). Support staff are not members; they get their own
# checks (`is_support`) and never the "see_secrets" capability.
CAPABILITIES = {
    "view": {Role.ADMIN, Role.DEVELOPER, Role.VIEWER},
    "check": {Role.ADMIN, Role.DEVELOPER, Role.VIEWER},
    "see_secrets": {Role.ADMIN, Role.DEVELOPER},
    # Starting the installation check (viewers read its results).
    "run_check": {Role.ADMIN, Role.DEVELOPER},
    "admin": {Role.ADMIN},
}
SUPPORT_ONLY = "This page is for vendor support staff only."


class Forbidden(PermissionDenied):
    """A 403 whose message is written for the user: the console's 403 page shows it
    (any other PermissionDenied gets the generic sentence, since its text may be internal)."""


def is_support(user):
    return user.is_authenticated and user.groups.filter(name=SUPPORT_GROUP).exists()


def membership_for(user, workspace):
    """``user``'s membership of ``workspace``: a [TEST] twin shares its production
    workspace's member list (``Workspace.roster_id``)."""
    if not user.is_authenticated or not user.is_active:
        return None
    return Membership.objects.filter(user=user, workspace_id=workspace.roster_id).first()


def workspaces_of(user):
    """Every workspace ``user`` is a member of, each production one followed by its twin,
    with ``.role`` set (the picker, ``GET /api/v1/workspaces/``)."""
    memberships = (
        Membership.objects.filter(user=user)
        .select_related("workspace__test_workspace")
        .order_by("workspace__name", "workspace__app_id")
    )
    rows = []
    for membership in memberships:
        workspace = membership.workspace
        twin = workspace.twin
        for each in (workspace, twin) if twin is not None else (workspace,):
            each.role = membership.role
            rows.append(each)
    return rows


def workspace_for(user, app_id, need="view"):
    """The workspace with this app_id if ``user`` may ``need`` it.

    Raises Http404 when the user is not a member (so outsiders learn nothing) and
    PermissionDenied when the member's role lacks the capability; either refusal is
    audited (``access.refused``).
    """
    if need not in CAPABILITIES:
        raise ValueError(f"unknown capability {need!r}")
    workspace = Workspace.objects.filter(app_id=app_id).select_related("production").first()
    membership = membership_for(user, workspace) if workspace else None
    if membership is None or membership.role not in CAPABILITIES[need]:
        refuse(user, app_id, need, workspace=workspace, membership=membership)
    workspace.role = membership.role
    return workspace


def refuse(user, app_id, need, *, workspace=None, membership=None):
    """Audit a refused access to ``app_id`` and raise it: Http404 for a non-member (or no
    such workspace), PermissionDenied for a member whose role lacks ``need``."""
    if membership is None:
        status, role = 404, SUPPORT_ROLE if is_support(user) else ""
    else:
        status, role = 403, membership.role
    record_refusal(
        ACCESS_REFUSED,
        actor=user,
        workspace=workspace,
        target=app_id,
        after={"need": need, "status": status},
        role=role,
    )
    if membership is None:
        raise Http404("No such workspace.")
    raise Forbidden(
        f"Your role in this workspace ({membership.get_role_display().lower()}) does not allow "
        "this. A workspace admin can change your role."
    )


def record_refusal(
    action, *, actor=None, workspace=None, target="", after=None, ip=None, role=None
):
    """Audit a refused attempt (``access.refused``, ``secret.reveal_refused``, ...), with
    the address of the request being served unless ``ip`` is given.

    A refusal usually ends in an exception, and an exception leaving a transaction rolls
    it back, audit row included. So inside a transaction during a request, the row is
    written when the request has ended (same connection, outside the view's transactions);
    otherwise at once.
    """
    if ip is None:
        ip = signals.current_ip()

    def write():
        record_audit(
            action, actor=actor, workspace=workspace, target=target, after=after, ip=ip, role=role
        )

    if transaction.get_connection().in_atomic_block and signals.after_request(write):
        return
    write()


def can(role, need):
    return role in CAPABILITIES[need]


def require_support(user):
    """Vendor support staff, or PermissionDenied: the one check of every support route."""
    if not is_support(user):
        raise Forbidden(SUPPORT_ONLY)
