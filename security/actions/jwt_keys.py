"""State changes of messenger JWT keys: rotate, register a public key, revoke, reveal.

Each change runs in a transaction, locks the workspace's keys (select_for_update), checks
its precondition, writes an audit event (never the key) and bumps the config generation
so every gateway process obeys within 1 s (workspaces.actions.mark_config_changed).
"""

import hashlib
import re
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from workspaces.actions import mark_config_changed, record_audit
from workspaces.refusals import Refused

from .. import crypto, jwt_debug, public_keys, reauth
from ..models import MessengerKey
from ..validators import DEFAULT_GRACE_HOURS, checked, validate_grace_hours

END_NOW, KEEP = "end_now", "keep"
OLDER_KEY_CHOICES = (END_NOW, KEEP)


def workspace_keys(workspace):
    """Every messenger key of ``workspace``, current first, then newest first."""
    return list(
        MessengerKey.objects.filter(workspace=workspace)
        .select_related("created_by", "jwks")
        .order_by("-is_current", "-created_at")
    )


def key_summary(key, now):
    """What anyone allowed to see the keys page may know about a key (no secret)."""
    return {
        "kid": key.kid,
        "algorithm": key.algorithm,
        # A public key is not a secret: shown whole. An HS256 key is only ever revealed.
        "public_key": key.public_key if key.is_public and not key.is_jwks else None,
        "jwks_url": key.jwks_url or None,
        "jwks": jwks_summary(key) if key.is_jwks else None,
        "state": key.state(now),
        "is_current": key.is_current,
        "created_at": key.created_at,
        "created_by": key.created_by.username if key.created_by else None,
        "valid_until": key.valid_until,
        "revoked_at": key.revoked_at,
        "last_used_at": key.last_used_at,
    }


def jwks_summary(source):
    """A JWKS source's state: its last good set (kid, alg) and how its fetches go."""
    fetched = getattr(source, "jwks", None)
    if fetched is None:
        return {
            "keys": [],
            "skipped": [],
            "fetched_at": None,
            "checked_at": None,
            "failing_since": None,
            "error": "",
        }
    return {
        "keys": [{"kid": k["kid"], "alg": k["alg"], "public_key": k["pem"]} for k in fetched.keys],
        "skipped": list(fetched.skipped),
        "fetched_at": fetched.fetched_at,
        "checked_at": fetched.checked_at,
        "failing_since": fetched.failing_since,
        "error": fetched.error,
    }


def _actor(actor):
    return actor if actor is not None and actor.is_authenticated else None


def _locked_keys(workspace):
    return list(MessengerKey.objects.select_for_update().filter(workspace=workspace))


@transaction.atomic
def rotate_messenger_key(workspace, *, grace_hours, older_key=None, actor, ip=None, now=None):
    """Make a fresh server-generated key current; the old one verifies for ``grace_hours``.

    Keys still in an earlier grace period are never dropped silently: the caller must say
    ``older_key="end_now"`` (they stop at once) or ``"keep"`` (their deadline stands).
    Returns the new MessengerKey.
    """
    now = now or timezone.now()
    hours = DEFAULT_GRACE_HOURS if grace_hours is None else grace_hours
    checked(validate_grace_hours, hours, field="grace_hours")
    if older_key not in (None, *OLDER_KEY_CHOICES):
        raise Refused(
            "invalid_older_key",
            'older_key must be "end_now" or "keep".',
            status=400,
            field="older_key",
        )
    keys = _locked_keys(workspace)
    current = next((k for k in keys if k.is_current), None)
    in_grace = [k for k in keys if k.state(now) == jwt_debug.GRACE]
    if in_grace and older_key is None:
        raise Refused(
            "older_key_in_grace",
            "An older key is still in its grace period. Say whether to end its grace now "
            '("end_now") or keep its current deadline ("keep").',
            field="older_key",
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
    kid = crypto.new_kid()
    while kid in existing:
        kid = crypto.new_kid()
    key = MessengerKey.objects.create(
        workspace=workspace,
        kid=kid,
        ciphertext=crypto.encrypt(crypto.new_messenger_key()),
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


KID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,32}")


def new_key_kid(workspace, kid=None, prefix=""):
    """``kid`` checked and free in ``workspace`` (its keys locked), or a fresh one."""
    if kid is not None and not KID_PATTERN.fullmatch(kid):
        raise Refused(
            "invalid_kid",
            "A kid is 1 to 32 letters, digits, dots, dashes or underscores.",
            status=400,
            field="kid",
        )
    existing = {k.kid for k in _locked_keys(workspace)}
    if kid in existing:
        raise Refused(
            "kid_taken", f"This workspace already has a key {kid}.", status=409, field="kid"
        )
    if kid is None:
        kid = prefix + crypto.new_kid()
        while kid in existing:
            kid = prefix + crypto.new_kid()
    return kid


@transaction.atomic
def register_public_key(workspace, *, algorithm, public_key, kid=None, actor, ip=None, now=None):
    """Register a public key (ES256, EdDSA or RS256) that verifies tokens the customer signs
    with its own private key. It verifies until revoked, beside the HS256 keys; a private
    key, a key of another type, a short RSA key or garbage is refused (400, field
    ``public_key``). Returns the new MessengerKey."""
    now = now or timezone.now()
    try:
        pem = public_keys.load(algorithm, public_key)
    except public_keys.KeyRefused as refusal:
        field = "algorithm" if refusal.code == "invalid_algorithm" else "public_key"
        raise Refused(refusal.code, refusal.message, status=400, field=field) from None
    kid = new_key_kid(workspace, kid)
    key = MessengerKey.objects.create(
        workspace=workspace,
        kid=kid,
        algorithm=algorithm,
        public_key=pem,
        created_at=now,
        created_by=_actor(actor),
    )
    mark_config_changed(workspace)
    record_audit(
        "jwt_key.registered",
        actor=actor,
        workspace=workspace,
        target=kid,
        after={"algorithm": algorithm, "sha256": hashlib.sha256(pem.encode()).hexdigest()},
        ip=ip,
    )
    return key


def _get(keys, kid):
    key = next((k for k in keys if k.kid == kid), None)
    if key is None:
        raise Refused("unknown_key", "This workspace has no key with that kid.", status=404)
    return key


@transaction.atomic
def revoke_messenger_key(workspace, kid, *, actor, ip=None, now=None):
    """Stop a non-current key at once, grace or not. The current key cannot be revoked
    (that would leave no key): rotate with a grace of 0 hours instead."""
    now = now or timezone.now()
    key = _get(_locked_keys(workspace), kid)
    if key.revoked_at is not None:
        raise Refused("already_revoked", f"Key {kid} is already revoked.")
    if key.is_current:
        raise Refused(
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


def reveal_messenger_key(workspace, kid, *, actor, proof, ip=None):
    """The plaintext of a key, once ``proof`` confirms the actor (the same flow as secrets:
    reauth.confirm_identity). A key that does not exist or is revoked is refused before
    any password is asked for. Audited."""
    key = _get(list(MessengerKey.objects.filter(workspace=workspace)), kid)
    if key.is_public:
        what = "a JWKS URL: its public keys are" if key.is_jwks else "a public key: it is"
        raise Refused(
            "nothing_to_reveal",
            f"Key {kid} is {what} shown whole on the keys page, and no private key ever "
            "reaches Verity.",
        )
    if key.revoked_at is not None:
        raise Refused("key_revoked", f"Key {kid} is revoked; it cannot be revealed.")
    reauth.confirm_identity(
        actor,
        proof,
        workspace=workspace,
        target=kid,
        ip=ip,
        refused_action="jwt_key.reveal_refused",
    )
    record_audit("jwt_key.revealed", actor=actor, workspace=workspace, target=kid, ip=ip)
    return key.plaintext()
