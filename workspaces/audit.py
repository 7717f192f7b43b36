"""Who may read which audit events (SPEC §6): admins all of their workspace's, support
staff only their own actions in it, nobody else anything. And whether the events still
form the hash chain they were written in (``manage.py verify_audit``)."""

from . import two_factor
from .access import can, is_support, membership_for, refuse
from .models import GENESIS_HASH, SUPPORT_ROLE, AuditEvent, AuditHead, Workspace, audit_chain_hash


def audit_events_for(user, app_id):
    """(workspace, queryset of the events ``user`` may read) or Http404 / PermissionDenied
    (audited, as workspace_for's refusals are)."""
    workspace = Workspace.objects.filter(app_id=app_id).select_related("production").first()
    membership = membership_for(user, workspace) if workspace else None
    if membership is not None and can(membership.role, "admin"):
        two_factor.check_member(user, workspace)
        workspace.role = membership.role
        return workspace, AuditEvent.objects.filter(workspace=workspace)
    if workspace is not None and is_support(user):
        two_factor.check_support(user)
        workspace.role = SUPPORT_ROLE
        return workspace, AuditEvent.objects.filter(workspace=workspace, actor=user)
    refuse(user, app_id, "admin", workspace=workspace, membership=membership)


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


class ChainBroken(Exception):
    """The audit events no longer form the chain they were written in."""


def verify_chain():
    """Walk the chained audit events in order, recompute every hash, and compare the last
    with the head. Returns (events checked, events waiting to be chained, head hash);
    raises ChainBroken naming the first event edited, deleted or inserted."""
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    for event in AuditEvent.objects.filter(seq__isnull=False).order_by("seq").iterator():
        where = f"event id {event.pk} (seq {event.seq}, {event.action})"
        if event.seq != expected_seq:
            missing = (
                f"seq {expected_seq}"
                if event.seq == expected_seq + 1
                else f"seq {expected_seq} to {event.seq - 1}"
            )
            raise ChainBroken(f"deleted: the event(s) at {missing}, before {where}, are missing.")
        if audit_chain_hash(event) != event.hash:
            raise ChainBroken(f"edited: {where} no longer matches its hash.")
        if event.prev_hash != prev_hash:
            raise ChainBroken(
                f"inserted or replaced: {where} does not follow the event before it "
                f"(seq {event.seq - 1}); one of them was written outside the audit log."
            )
        expected_seq, prev_hash, checked = event.seq + 1, event.hash, checked + 1
    head = AuditHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    if head is None and checked:
        raise ChainBroken("the audit head (the chain's last link) is missing.")
    if head_seq > checked:
        raise ChainBroken(
            f"deleted: the last event(s), seq {checked + 1} to {head_seq}, are missing."
        )
    if head_seq < checked:
        raise ChainBroken(
            f"inserted: the events after seq {head_seq} were added outside the audit log "
            f"(the chain's head ends at seq {head_seq})."
        )
    if head_hash != prev_hash:
        raise ChainBroken(
            f"replaced: the last event (seq {checked}) is not the one the chain's head recorded."
        )
    waiting = AuditEvent.objects.filter(seq__isnull=True).count()
    return checked, waiting, head_hash
