"""State changes of workspaces, members and trusted domains, each with its audit event."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import F

from .domains import InvalidDomain, normalize_pattern
from .models import (
    SUPPORT_GROUP,
    AuditEvent,
    ConfigGeneration,
    Membership,
    Role,
    TrustedDomain,
    Workspace,
)
from .refusals import Refused


def record_audit(
    action, *, actor=None, workspace=None, target="", before=None, after=None, ip=None
):
    """Append one audit event. Callers pass values that are safe to show (never secrets)."""
    return AuditEvent.objects.create(
        workspace=workspace,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=getattr(actor, "username", "") or "system",
        action=action,
        target=target,
        before=before or {},
        after=after or {},
        ip=ip,
    )


def mark_config_changed(workspace):
    """Tell every gateway process that ``workspace``'s settings changed.

    Must run inside the transaction that makes the change. The row lock on the single
    ConfigGeneration row serialises writers, so versions are committed in order and a
    gateway that has seen version N has seen every change up to N (see
    security.snapshots for the reader side).
    """
    ConfigGeneration.objects.get_or_create(pk=1)
    ConfigGeneration.objects.filter(pk=1).update(value=F("value") + 1)
    value = ConfigGeneration.objects.values_list("value", flat=True).get(pk=1)
    Workspace.objects.filter(pk=workspace.pk).update(config_version=value)
    workspace.config_version = value
    return value


@transaction.atomic
def create_workspace_record(name, *, is_test=False, production=None, actor=None):
    workspace = Workspace.objects.create(name=name, is_test=is_test, production=production)
    record_audit(
        "workspace.created",
        actor=actor,
        workspace=workspace,
        target=workspace.app_id,
        after={"name": name, "is_test": is_test},
    )
    return workspace


@transaction.atomic
def add_member(workspace, user, role, *, actor=None, ip=None):
    if role not in Role.values:
        raise ValueError(f"role must be one of {', '.join(Role.values)}")
    membership, created = Membership.objects.get_or_create(
        user=user, workspace=workspace, defaults={"role": role}
    )
    before = {} if created else {"role": membership.role}
    if not created and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    record_audit(
        "member.added" if created else "member.role_changed",
        actor=actor,
        workspace=workspace,
        target=user.username,
        before=before,
        after={"role": role},
        ip=ip,
    )
    return membership


@transaction.atomic
def grant_support(user, *, actor=None):
    group, _ = Group.objects.get_or_create(name=SUPPORT_GROUP)
    user.groups.add(group)
    record_audit("support.granted", actor=actor, target=user.username)


@transaction.atomic
def add_trusted_domain(workspace, value, *, actor, ip=None):
    """Add a normalised domain; refuses a value that is not a host name (400) or one
    already on the list (409)."""
    try:
        domain = normalize_pattern(value)
    except InvalidDomain as exc:
        raise Refused("invalid_domain", str(exc), status=400, field="domain") from None
    # The lock serialises two admins adding the same domain (the unique constraint would
    # otherwise turn the loser into a database error).
    Workspace.objects.select_for_update().filter(pk=workspace.pk).first()
    if TrustedDomain.objects.filter(workspace=workspace, domain=domain).exists():
        raise Refused(
            "duplicate_domain", f"{domain} is already on the list.", status=409, field="domain"
        )
    before = list(workspace.trusted_domains.values_list("domain", flat=True))
    entry = TrustedDomain.objects.create(workspace=workspace, domain=domain, created_by=actor)
    mark_config_changed(workspace)
    record_audit(
        "trusted_domain.added",
        actor=actor,
        workspace=workspace,
        target=domain,
        before={"domains": before},
        after={"domains": sorted([*before, domain])},
        ip=ip,
    )
    return entry


@transaction.atomic
def remove_trusted_domain(entry, *, actor, ip=None):
    workspace = entry.workspace
    before = list(workspace.trusted_domains.values_list("domain", flat=True))
    entry.delete()
    mark_config_changed(workspace)
    record_audit(
        "trusted_domain.removed",
        actor=actor,
        workspace=workspace,
        target=entry.domain,
        before={"domains": before},
        after={"domains": [d for d in before if d != entry.domain]},
        ip=ip,
    )


def get_or_create_user(username, *, password=None, email=""):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"email": email})
    if password is not None and (created or not user.has_usable_password()):
        user.set_password(password)
        user.save(update_fields=["password"])
    return user, created


@transaction.atomic
def deactivate_user(user, *, actor=None, ip=None):
    """Stop ``user`` from logging in; their sessions and API token end at once
    (workspaces.sessions)."""
    if not user.is_active:
        return
    user.is_active = False
    user.save(update_fields=["is_active"])
    record_audit("user.deactivated", actor=actor, target=user.username, ip=ip)
