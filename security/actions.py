"""State changes of security settings. Each runs in a transaction, checks its
precondition, writes an audit event and tells the gateway (mark_config_changed)."""

import secrets

from django.db import transaction
from django.utils import timezone

from workspaces.actions import create_workspace_record, mark_config_changed, record_audit

from . import crypto, rotation
from .models import IdentitySecret, MessengerKey, Platform, PlatformSettings, SecretState


def new_identity_secret():
    """256 random bits as 64 hex characters."""
    return secrets.token_hex(32)


def new_messenger_key():
    """256 random bits, url-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def new_kid():
    return "mk_" + secrets.token_hex(4)


def _provision(workspace):
    for platform in Platform.values:
        PlatformSettings.objects.create(workspace=workspace, platform=platform)
        IdentitySecret.objects.create(
            workspace=workspace,
            platform=platform,
            version=1,
            ciphertext=crypto.encrypt(new_identity_secret()),
            state=SecretState.CURRENT,
        )
    MessengerKey.objects.create(
        workspace=workspace,
        kid=new_kid(),
        ciphertext=crypto.encrypt(new_messenger_key()),
        is_current=True,
    )
    mark_config_changed(workspace)


@transaction.atomic
def create_workspace(name, *, with_test_twin=True, actor=None):
    """A production workspace with its three secrets and a messenger key, and by default
    its [TEST] twin with secrets of its own."""
    name = (name or "").strip()
    if not name:
        raise ValueError("A workspace needs a name.")
    workspace = create_workspace_record(name, actor=actor)
    _provision(workspace)
    if with_test_twin:
        twin = create_workspace_record(name, is_test=True, production=workspace, actor=actor)
        _provision(twin)
    return workspace


def _platform_row(workspace, platform):
    if platform not in Platform.values:
        raise ValueError(f"platform must be one of {', '.join(Platform.values)}")
    return PlatformSettings.objects.select_for_update().get(workspace=workspace, platform=platform)


def _set_flag(workspace, platform, flag, value, *, actor, ip):
    row = _platform_row(workspace, platform)
    before = getattr(row, flag)
    if before == value:
        return row, False
    if flag == "enforced":
        # May refuse (RotationConflict) or advance an open rotation request.
        rotation.on_enforcement_change(workspace, platform, value, actor=actor, ip=ip)
    setattr(row, flag, value)
    row.changed_at = timezone.now()
    row.changed_by = actor if actor is not None and actor.is_authenticated else None
    row.save(update_fields=[flag, "changed_at", "changed_by"])
    mark_config_changed(workspace)
    record_audit(
        f"platform.{flag}",
        actor=actor,
        workspace=workspace,
        target=platform,
        before={flag: before},
        after={flag: value},
        ip=ip,
    )
    return row, True


@transaction.atomic
def set_enforcement(workspace, platform, on, *, actor, ip=None):
    """Turn enforcement of identity verification on or off for one platform.

    Returns (settings row, changed). The gateway obeys within 1 s of commit.
    """
    return _set_flag(workspace, platform, "enforced", bool(on), actor=actor, ip=ip)


@transaction.atomic
def set_hmac_allowed(workspace, platform, allowed, *, actor, ip=None):
    """Allow or refuse user_hash proofs on one platform (JWT keeps working)."""
    return _set_flag(workspace, platform, "hmac_allowed", bool(allowed), actor=actor, ip=ip)


def record_readiness(workspace_id, platform, summary):
    """Store the readiness summary computed by the installation check (no audit: derived
    data, not a setting). See installcheck.readiness for the keys."""
    PlatformSettings.objects.filter(workspace_id=workspace_id, platform=platform).update(
        readiness=summary
    )


@transaction.atomic
def reveal_secret(workspace, platform, *, actor, ip=None):
    """The plaintext of a platform's current identity secret, with an audit event.

    Callers have checked the role (``see_secrets``) and a fresh re-authentication.
    """
    if platform not in Platform.values:
        raise ValueError(f"platform must be one of {', '.join(Platform.values)}")
    secret = IdentitySecret.objects.get(
        workspace=workspace, platform=platform, state=SecretState.CURRENT
    )
    record_audit(
        "secret.revealed",
        actor=actor,
        workspace=workspace,
        target=secret.reference,
        after={"platform": platform, "version": secret.version},
        ip=ip,
    )
    # A rotation waiting for the customer to fetch the new secret moves on.
    rotation.on_secret_revealed(workspace, platform, actor=actor, ip=ip)
    return secret.plaintext()
