"""State changes of messenger JWT keys: rotate, revoke, reveal; and the audited debugger.

Each change runs in a transaction, locks the workspace's keys (select_for_update), checks
its precondition, writes an audit event (never the key) and bumps the config generation
so every gateway process obeys within 1 s (workspaces.actions.mark_config_changed).
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from workspaces.actions import mark_config_changed, record_audit

from . import crypto, jwt_debug
from .actions import new_kid, new_messenger_key
from .models import IdentitySecret, MessengerKey, SecretState

MAX_GRACE_HOURS = 168
DEFAULT_GRACE_HOURS = 24
END_NOW, KEEP = "end_now", "keep"
OLDER_KEY_CHOICES = (END_NOW, KEEP)
# The debugger checks signatures with every key: a signing oracle's cousin, so rate-limited.
DEBUG_RATE_LIMIT = 30  # tokens per user per window
DEBUG_RATE_WINDOW = 60
MAX_TOKEN_LENGTH = 8 * 1024  # the gateway's body limit


class KeyActionError(Exception):
    """A refused key change: ``code`` is the API error code, ``status`` its HTTP status."""

    def __init__(self, code, message, status=409, **extra):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra


def workspace_keys(workspace):
    """Every messenger key of ``workspace``, current first, then newest first."""
    return list(
        MessengerKey.objects.filter(workspace=workspace)
        .select_related("created_by")
        .order_by("-is_current", "-created_at")
    )


def key_summary(key, now):
    """What anyone allowed to see the keys page may know about a key (no material)."""
    return {
        "kid": key.kid,
        "state": key.state(now),
        "is_current": key.is_current,
        "created_at": key.created_at,
        "created_by": key.created_by.username if key.created_by else None,
        "valid_until": key.valid_until,
        "revoked_at": key.revoked_at,
        "last_used_at": key.last_used_at,
    }


def _actor(actor):
    return actor if actor is not None and actor.is_authenticated else None


def _locked_keys(workspace):
    return list(MessengerKey.objects.select_for_update().filter(workspace=workspace))


def parse_grace_hours(value):
    """An int in 0..168 from a form or JSON value; raises KeyActionError (400)."""
    if value is None or value == "":
        return DEFAULT_GRACE_HOURS
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise KeyActionError("invalid_grace_hours", "grace_hours must be a whole number.", 400)
    try:
        hours = int(value)
    except ValueError:
        raise KeyActionError(
            "invalid_grace_hours", "grace_hours must be a whole number.", 400
        ) from None
    if not 0 <= hours <= MAX_GRACE_HOURS:
        raise KeyActionError(
            "invalid_grace_hours",
            f"grace_hours must be between 0 and {MAX_GRACE_HOURS} (one week).",
            400,
        )
    return hours


@transaction.atomic
def rotate_messenger_key(workspace, *, grace_hours, older_key=None, actor, ip=None, now=None):
    """Make a fresh server-generated key current; the old one verifies for ``grace_hours``.

    Keys still in an earlier grace period are never dropped silently: the caller must say
    ``older_key="end_now"`` (they stop at once) or ``"keep"`` (their deadline stands).
    Returns the new MessengerKey.
    """
    now = now or timezone.now()
    hours = parse_grace_hours(grace_hours)
    if older_key not in (None, *OLDER_KEY_CHOICES):
        raise KeyActionError("invalid_older_key", 'older_key must be "end_now" or "keep".', 400)
    keys = _locked_keys(workspace)
    current = next((k for k in keys if k.is_current), None)
    in_grace = [k for k in keys if k.state(now) == jwt_debug.GRACE]
    if in_grace and older_key is None:
        raise KeyActionError(
            "older_key_in_grace",
            "An older key is still in its grace period. Say whether to end its grace now "
            '("end_now") or keep its current deadline ("keep").',
            older_keys=[{"kid": k.kid, "valid_until": k.valid_until.isoformat()} for k in in_grace],
        )
    ended = []
    if older_key == END_NOW:
        for key in in_grace:
            key.valid_until = now
            key.save(update_fields=["valid_until"])
            ended.append(key.kid)
    before = {"current": current.kid if current else None, "in_grace": [k.kid for k in in_grace]}
    if current is not None:
        current.is_current = False
        current.valid_until = now + timedelta(hours=hours)
        current.save(update_fields=["is_current", "valid_until"])
    existing = {k.kid for k in keys}
    kid = new_kid()
    while kid in existing:
        kid = new_kid()
    key = MessengerKey.objects.create(
        workspace=workspace,
        kid=kid,
        ciphertext=crypto.encrypt(new_messenger_key()),
        is_current=True,
        created_at=now,
        created_by=_actor(actor),
    )
    mark_config_changed(workspace)
    record_audit(
        "jwt_key.rotated",
        actor=actor,
        workspace=workspace,
        target=key.kid,
        before=before,
        after={
            "current": key.kid,
            "previous": current.kid if current else None,
            "previous_valid_until": current.valid_until.isoformat() if current else None,
            "grace_hours": hours,
            "older_key": older_key,
            "grace_ended": ended,
        },
        ip=ip,
    )
    return key


def _get(keys, kid):
    key = next((k for k in keys if k.kid == kid), None)
    if key is None:
        raise KeyActionError("unknown_key", "This workspace has no key with that kid.", 404)
    return key


@transaction.atomic
def revoke_messenger_key(workspace, kid, *, actor, ip=None, now=None):
    """Stop a non-current key at once, grace or not. The current key cannot be revoked
    (that would leave no key): rotate with a grace of 0 hours instead."""
    now = now or timezone.now()
    key = _get(_locked_keys(workspace), kid)
    if key.revoked_at is not None:
        raise KeyActionError("already_revoked", f"Key {kid} is already revoked.")
    if key.is_current:
        raise KeyActionError(
            "current_key",
            "The current key cannot be revoked: rotate with a grace period of 0 hours, which "
            "stops it at once and makes a new key current.",
        )
    before = {"state": key.state(now), "valid_until": _isoformat(key.valid_until)}
    key.revoked_at = now
    key.save(update_fields=["revoked_at"])
    mark_config_changed(workspace)
    record_audit(
        "jwt_key.revoked",
        actor=actor,
        workspace=workspace,
        target=kid,
        before=before,
        after={"state": "revoked"},
        ip=ip,
    )
    return key


def _isoformat(moment):
    return moment.isoformat() if moment else None


@transaction.atomic
def reveal_messenger_key(workspace, kid, *, actor, ip=None):
    """The plaintext of a key, for a caller that has re-authenticated. Audited."""
    key = _get(list(MessengerKey.objects.filter(workspace=workspace)), kid)
    if key.revoked_at is not None:
        raise KeyActionError("key_revoked", f"Key {kid} is revoked; it cannot be revealed.")
    record_audit("jwt_key.revealed", actor=actor, workspace=workspace, target=kid, ip=ip)
    return key.plaintext()


def debug_token(workspace, token, *, actor, ip=None, now=None):
    """Run the token debugger against this workspace's keys and secrets; audited without
    the token (it may be a live credential)."""
    now = now or timezone.now()
    keys = [
        jwt_debug.DebugKey(
            kid=k.kid,
            key=k.plaintext(),
            state=k.state(now),
            valid_until=k.valid_until,
            revoked_at=k.revoked_at,
        )
        for k in MessengerKey.objects.filter(workspace=workspace)
    ]
    secrets = [
        (s.platform, s.plaintext())
        for s in IdentitySecret.objects.filter(workspace=workspace, state=SecretState.CURRENT)
    ]
    result = jwt_debug.debug(token, keys, secrets, now)
    record_audit(
        "jwt.debugged",
        actor=actor,
        workspace=workspace,
        target=(result.key or {}).get("kid", ""),
        after={"valid": result.valid, "codes": result.codes},
        ip=ip,
    )
    return result


def migration_figures(platform_rows):
    """Per platform, the HMAC→JWT split of verified traffic over 7 days from readiness."""
    rows = []
    for row in platform_rows:
        by_method = (row.readiness or {}).get("by_method") or {}
        hmac = int(by_method.get("hmac") or 0)
        jwt_count = int(by_method.get("jwt") or 0)
        total = hmac + jwt_count
        rows.append(
            {
                "platform": row.platform,
                "hmac_allowed": row.hmac_allowed,
                "has_data": bool(row.readiness),
                "hmac": hmac,
                "jwt": jwt_count,
                "jwt_percent": round(100 * jwt_count / total) if total else None,
                "safe_to_disable_hmac": bool(row.readiness) and total > 0 and hmac == 0,
            }
        )
    return rows
