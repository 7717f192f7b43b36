"""State changes of workspaces, members and trusted domains, each with its audit event."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .domains import (
    SEEN_WINDOW,
    InvalidDomain,
    normalize_pattern,
    origins_refused_by_first,
    unicode_host,
)
from .models import (
    SUPPORT_GROUP,
    SUPPORT_ROLE,
    ApiToken,
    AuditEvent,
    AuditHead,
    ConfigGeneration,
    Membership,
    Role,
    TrustedDomain,
    Workspace,
    audit_chain_hash,
)
from .refusals import Refused


def record_audit(
    action,
    *,
    actor=None,
    workspace=None,
    target="",
    before=None,
    after=None,
    ip=None,
    role=None,
):
    """Append one audit event. Callers pass values that are safe to show (never secrets).

    ``role`` is the actor's role in ``workspace`` at the time; left None it is looked up:
    the membership's role, else "support" for support staff, else "". Refusals are events
    too (``access.refused``, ``login.failed``, ``secret.reveal_refused``): record them with
    ``workspaces.access.record_refusal``, which outlives a rollback of the caller.

    The event joins the hash chain right after the caller's transaction commits (at once
    outside a transaction), not inside it: the chain's lock would otherwise be held to
    the end of every audited action, after locks the action takes in other orders
    elsewhere (deadlocks), and an event rolled back with its action never enters the chain.
    """
    authenticated = actor is not None and actor.is_authenticated
    if role is None:
        role = _role_of(actor, workspace) if authenticated else ""
    label = actor.get_username() if authenticated else "system" if actor is None else "anonymous"
    event = AuditEvent.objects.create(
        workspace=workspace,
        actor=actor if authenticated else None,
        actor_label=label,
        role=role,
        action=action,
        # PostgreSQL refuses NUL characters; a target (a username tried) may be anybody's.
        target=str(target).replace("\x00", "")[: AuditEvent._meta.get_field("target").max_length],
        before=before or {},
        after=after or {},
        ip=ip,
    )
    transaction.on_commit(chain_audit_events, robust=True)
    return event


def _role_of(actor, workspace):
    if workspace is None:
        return ""
    role = (
        Membership.objects.filter(user=actor, workspace_id=workspace.roster_id)
        .values_list("role", flat=True)
        .first()
    )
    if role:
        return role
    return SUPPORT_ROLE if actor.groups.filter(name=SUPPORT_GROUP).exists() else ""


def chain_audit_events():
    """Link every audit event not yet in the chain, in id order; returns how many.

    Each gets the next ``seq``, the previous event's hash as ``prev_hash`` and its own
    ``hash`` (models.audit_chain_hash); the head row keeps the last of both. The head's
    row lock (SQLite: the database's write lock) makes concurrent callers take turns, so
    the chain has one total order. ``manage.py verify_audit`` checks it.
    """
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            AuditHead.objects.get_or_create(pk=1)
            head = AuditHead.objects.select_for_update().get(pk=1)
        pending = list(AuditEvent.objects.filter(seq__isnull=True).order_by("id"))
        for event in pending:
            event.seq, event.prev_hash = head.seq + 1, head.hash
            event.hash = audit_chain_hash(event)
            event.save(update_fields=["seq", "prev_hash", "hash"])
            head.seq, head.hash = event.seq, event.hash
        if pending:
            head.save(update_fields=["seq", "hash"])
    return len(pending)


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
    """Make ``user`` a ``role`` of ``workspace`` and its twin (one member list, stored on
    the production side); the command, seeds and accepted invitations use it. Changing a
    member's role from the console goes through ``workspaces.members.change_role``, which
    keeps the last admin."""
    if role not in Role.values:
        raise ValueError(f"role must be one of {', '.join(Role.values)}")
    membership, created = Membership.objects.get_or_create(
        user=user, workspace_id=workspace.roster_id, defaults={"role": role}
    )
    before = {} if created else {"role": membership.role}
    if not created and membership.role == role:
        return membership
    if not created:
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


def record_origins_seen(workspace_id, origins, *, now=None):
    """Store the web origins the gateway saw (installcheck calls this after each fold):
    ``origins`` is [{name, last_seen (datetime), requests}]."""
    now = now or timezone.now()
    summary = {
        "computed_at": now.isoformat(),
        "origins": [
            {"name": o["name"], "last_seen": o["last_seen"].isoformat(), "requests": o["requests"]}
            for o in origins
        ],
    }
    Workspace.objects.filter(pk=workspace_id).update(web_origins_seen=summary)


def _first_domain_refusal(domain, refused):
    names = ", ".join(unicode_host(row["name"]) for row in refused[:10])
    more = f" and {len(refused) - 10} more" if len(refused) > 10 else ""
    days = SEEN_WINDOW.days
    return Refused(
        "confirmation_required",
        f"{unicode_host(domain)} would be the first trusted domain: from then on the web "
        f"messenger answers only pages served from it. {len(refused)} other origin"
        f"{'s' if len(refused) != 1 else ''} used it in the last {days} days and would be "
        f"refused: {names}{more}.",
        status=409,
        reason="other_origins_seen",
        window_days=days,
        origins=refused,
    )


@transaction.atomic
def add_trusted_domain(workspace, value, *, actor, confirm=False, ip=None, now=None):
    """Add a normalised domain; refuses a value that is not a host name (400) or one
    already on the list (409). The first domain refuses every other origin at once, so
    when other origins used the messenger in the last 7 days it is refused with 409
    ``confirmation_required`` and their list, unless ``confirm``."""
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
    if not before and not confirm:
        seen = Workspace.objects.filter(pk=workspace.pk).values_list("web_origins_seen", flat=True)
        refused = origins_refused_by_first(domain, seen.first(), now or timezone.now())
        if refused:
            raise _first_domain_refusal(domain, refused)
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
def issue_api_token(user, *, actor, ip=None):
    """Replace ``user``'s API token by a new one; returns (token, key). Only the key's
    digest is stored: the caller shows the key once (the profile page, the command)."""
    had_token = ApiToken.objects.filter(user=user).exists()
    token, key = ApiToken.issue(user)
    record_audit(
        "api_token.regenerated" if had_token else "api_token.created",
        actor=actor,
        target=user.username,
        ip=ip,
    )
    return token, key


@transaction.atomic
def deactivate_user(user, *, actor=None, ip=None):
    """Stop ``user`` from logging in; their sessions and API token end at once
    (workspaces.sessions)."""
    if not user.is_active:
        return
    user.is_active = False
    user.save(update_fields=["is_active"])
    record_audit("user.deactivated", actor=actor, target=user.username, ip=ip)
