"""Per-platform settings: enforcement, the HMAC flag and the app-version policy, with the
confirmation that a risky change needs, and the readiness summary the installation check
stores."""

from django.db import transaction
from django.utils import timezone

from workspaces.actions import mark_config_changed, record_audit
from workspaces.refusals import Refused

from ..confirmations import confirmation_needed, version_policy_confirmation
from ..models import PlatformSettings
from ..queries import since_rotation
from ..validators import checked, validate_enforce_from_version, validate_sunset_at
from ..vocabulary import platform_label
from . import secret_rotation

# The order in which one request's changes apply: refusing HMAC before enforcing means
# an enforce that follows is confirmed against what will really be accepted.
FLAGS = ("hmac_allowed", "enforced")
# Enforcement by app version: a minimum version, and when older ones are enforced too.
POLICY = ("enforce_from_version", "sunset_at")
POLICY_VALIDATORS = {
    "enforce_from_version": validate_enforce_from_version,
    "sunset_at": validate_sunset_at,
}
CONFIRMATION_REQUIRED = "confirmation_required"


def _locked_row(workspace, platform):
    return PlatformSettings.objects.select_for_update().get(workspace=workspace, platform=platform)


def _set_flag(workspace, row, flag, value, *, actor, ip):
    before = getattr(row, flag)
    if before == value:
        return False
    if flag == "enforced":
        # May refuse (a rotation in the way) or advance an open rotation request.
        secret_rotation.on_enforcement_change(workspace, row.platform, value, actor=actor, ip=ip)
    setattr(row, flag, value)
    row.changed_at = timezone.now()
    row.changed_by = actor if actor is not None and actor.is_authenticated else None
    row.save(update_fields=[flag, "changed_at", "changed_by"])
    mark_config_changed(workspace)
    record_audit(
        f"platform.{flag}",
        actor=actor,
        workspace=workspace,
        target=row.platform,
        before={flag: before},
        after={flag: value},
        ip=ip,
    )
    return True


def _audit_value(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _wanted_policy(row, changes):
    """The policy after ``changes`` (validated), or None when they do not touch it."""
    if not any(name in changes for name in POLICY):
        return None
    wanted = {}
    for name in POLICY:
        value = changes.get(name, getattr(row, name))
        if name in changes and value is not None:
            checked(POLICY_VALIDATORS[name], value, field=name)
        wanted[name] = value
    # A conflict with the platform's state (409), not a bad value: the same sunset alone is
    # fine once a minimum is stored.
    if wanted["sunset_at"] is not None and wanted["enforce_from_version"] is None:
        raise Refused(
            "sunset_without_minimum",
            "A sunset date needs a minimum app version: set enforce_from_version too, or "
            "clear sunset_at.",
            status=409,
            field="sunset_at",
        )
    return wanted


def _set_policy(workspace, row, wanted, *, actor, ip):
    changed = [name for name in POLICY if getattr(row, name) != wanted[name]]
    if not changed:
        return []
    for name in changed:
        before = getattr(row, name)
        setattr(row, name, wanted[name])
        record_audit(
            f"platform.{name}",
            actor=actor,
            workspace=workspace,
            target=row.platform,
            before={name: _audit_value(before)},
            after={name: _audit_value(wanted[name])},
            ip=ip,
        )
    row.changed_at = timezone.now()
    row.changed_by = actor if actor is not None and actor.is_authenticated else None
    row.save(update_fields=[*changed, "changed_at", "changed_by"])
    mark_config_changed(workspace)
    return changed


def _confirmation_refusal(needed):
    figures = {key: value for key, value in needed.items() if key not in ("code", "message")}
    return Refused(
        CONFIRMATION_REQUIRED, needed["message"], status=409, reason=needed["code"], **figures
    )


@transaction.atomic
def change_platform(workspace, platform, changes, *, confirm=False, actor, ip=None):
    """Apply ``changes``: any of {"enforced": bool, "hmac_allowed": bool,
    "enforce_from_version": "5.2.0" or None, "sunset_at": aware datetime or None}.

    The row is locked first, so the confirmation is judged on the state that the change
    really replaces. A change that needs a confirmation (confirmations.py) is refused
    with 409 ``confirmation_required`` and its figures unless ``confirm`` is true.
    A policy change is judged on the enforcement the request leaves. Returns (settings
    row, [names that changed]). The gateway obeys within 1 s of commit.
    """
    row = _locked_row(workspace, platform)
    wanted = [(flag, bool(changes[flag])) for flag in FLAGS if flag in changes]
    policy = _wanted_policy(row, changes)
    if not confirm:
        label = platform_label(platform)
        # After a rotation, enforcing is judged on the requests since the rotation.
        enforcing = ("enforced", True) in wanted
        rotation = since_rotation(workspace, platform).get(platform) if enforcing else None
        for flag, value in wanted:
            needed = confirmation_needed(
                label, flag, getattr(row, flag), value, row.readiness, rotation=rotation
            )
            if needed:
                raise _confirmation_refusal(needed)
        if policy is not None:
            needed = version_policy_confirmation(
                label,
                dict(wanted).get("enforced", row.enforced),
                (row.enforce_from_version, row.sunset_at),
                (policy["enforce_from_version"], policy["sunset_at"]),
                row.readiness,
            )
            if needed:
                raise _confirmation_refusal(needed)
    changed = [
        flag for flag, value in wanted if _set_flag(workspace, row, flag, value, actor=actor, ip=ip)
    ]
    if policy is not None:
        changed += _set_policy(workspace, row, policy, actor=actor, ip=ip)
    return row, changed


def set_enforcement(workspace, platform, on, *, actor, ip=None):
    """Turn enforcement on or off for one platform, already confirmed (scripts, tests).
    Returns (settings row, changed)."""
    row, changed = change_platform(
        workspace, platform, {"enforced": on}, confirm=True, actor=actor, ip=ip
    )
    return row, bool(changed)


def set_hmac_allowed(workspace, platform, allowed, *, actor, ip=None):
    """Allow or refuse user_hash proofs on one platform (JWT keeps working)."""
    row, changed = change_platform(
        workspace, platform, {"hmac_allowed": allowed}, confirm=True, actor=actor, ip=ip
    )
    return row, bool(changed)


def set_version_policy(workspace, platform, minimum, sunset_at=None, *, actor, ip=None):
    """Enforce from app version ``minimum`` on (None clears the policy), older versions
    until ``sunset_at``; already confirmed (scripts, tests). Returns (row, changed)."""
    row, changed = change_platform(
        workspace,
        platform,
        {"enforce_from_version": minimum, "sunset_at": sunset_at},
        confirm=True,
        actor=actor,
        ip=ip,
    )
    return row, bool(changed)


def record_readiness(workspace_id, platform, summary):
    """Store the readiness summary computed by the installation check (no audit: derived
    data, not a setting). See installcheck.readiness for the keys."""
    PlatformSettings.objects.filter(workspace_id=workspace_id, platform=platform).update(
        readiness=summary
    )
