"""Who may read which audit events (SPEC §6): admins all of their workspace's, support
staff only their own actions in it, nobody else anything."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from .access import is_support, workspace_for
from .models import AuditEvent, Workspace

SUPPORT_ROLE = "support"


def audit_events_for(user, app_id):
    """(workspace, queryset of the events ``user`` may read) or Http404 / PermissionDenied."""
    try:
        workspace = workspace_for(user, app_id, need="admin")
    except (Http404, PermissionDenied):
        if not is_support(user):
            raise
    else:
        return workspace, AuditEvent.objects.filter(workspace=workspace)
    workspace = Workspace.objects.filter(app_id=app_id).first()
    if workspace is None:
        raise Http404("No such workspace.")
    workspace.role = SUPPORT_ROLE
    return workspace, AuditEvent.objects.filter(workspace=workspace, actor=user)


def filter_events(events, *, action="", actor=""):
    if action:
        events = events.filter(action=action)
    if actor:
        events = events.filter(actor_label=actor)
    return events


# Keys whose values must never be shown, even if a caller put one into before/after.
_HIDDEN = ("secret", "key", "password", "token", "hash")


def safe_changes(values):
    """``values`` (an event's before or after) with anything secret-looking blanked."""
    if not isinstance(values, dict):
        return {}
    return {
        name: "(hidden)" if any(word in name.lower() for word in _HIDDEN) else value
        for name, value in values.items()
    }
