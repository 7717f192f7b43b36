"""Who may do what in a workspace: the one access helper every view and API route uses."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from .models import SUPPORT_GROUP, Membership, Role, Workspace

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
SUPPORT_ONLY = "This is for vendor support staff only."


def is_support(user):
    return user.is_authenticated and user.groups.filter(name=SUPPORT_GROUP).exists()


def membership_for(user, workspace):
    if not user.is_authenticated or not user.is_active:
        return None
    return Membership.objects.filter(user=user, workspace=workspace).first()


def workspace_for(user, app_id, need="view"):
    """The workspace with this app_id if ``user`` may ``need`` it.

    Raises Http404 when the user is not a member (so outsiders learn nothing) and
    PermissionDenied when the member's role lacks the capability.
    """
    if need not in CAPABILITIES:
        raise ValueError(f"unknown capability {need!r}")
    workspace = Workspace.objects.filter(app_id=app_id).select_related("production").first()
    membership = membership_for(user, workspace) if workspace else None
    if membership is None:
        raise Http404("No such workspace.")
    if membership.role not in CAPABILITIES[need]:
        raise PermissionDenied(f"Your role ({membership.role}) cannot do this.")
    workspace.role = membership.role
    return workspace


def can(role, need):
    return role in CAPABILITIES[need]


def require_support(user):
    """Vendor support staff, or PermissionDenied: the one check of every support route."""
    if not is_support(user):
        raise PermissionDenied(SUPPORT_ONLY)
