"""Per-platform settings: enforcement and the HMAC flag, with the confirmation that a
risky change needs, and the readiness summary the installation check stores."""

from django.db import transaction
from django.utils import timezone

from workspaces.actions import mark_config_changed, record_audit
from workspaces.refusals import Refused

from ..confirmations import confirmation_needed
from ..models import PlatformSettings
from ..vocabulary import platform_label
from . import secret_rotation

# The order in which one request's changes apply: refusing HMAC before enforcing means
# an enforce that follows is confirmed against what will really be accepted.
FLAGS = ("hmac_allowed", "enforced")
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


def _confirmation_refusal(needed):
    figures = {key: value for key, value in needed.items() if key not in ("code", "message")}
    return Refused(
        CONFIRMATION_REQUIRED, needed["message"], status=409, reason=needed["code"], **figures
    )


@transaction.atomic
def change_platform(workspace, platform, changes, *, confirm=False, actor, ip=None):
    """Apply ``changes`` ({"enforced": bool, "hmac_allowed": bool}, either or both).

    The row is locked first, so the confirmation is judged on the state that the change
    really replaces. A change that needs a confirmation (confirmations.py) is refused
    with 409 ``confirmation_required`` and its figures unless ``confirm`` is true.
    Returns (settings row, [flags that changed]). The gateway obeys within 1 s of commit.
    """
    row = _locked_row(workspace, platform)
    wanted = [(flag, bool(changes[flag])) for flag in FLAGS if flag in changes]
    if not confirm:
        for flag, value in wanted:
            needed = confirmation_needed(
                platform_label(platform), flag, getattr(row, flag), value, row.readiness
            )
            if needed:
                raise _confirmation_refusal(needed)
    changed = [
        flag for flag, value in wanted if _set_flag(workspace, row, flag, value, actor=actor, ip=ip)
    ]
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


def record_readiness(workspace_id, platform, summary):
    """Store the readiness summary computed by the installation check (no audit: derived
    data, not a setting). See installcheck.readiness for the keys."""
    PlatformSettings.objects.filter(workspace_id=workspace_id, platform=platform).update(
        readiness=summary
    )
