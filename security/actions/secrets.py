"""HMAC identity secrets: provisioning a workspace with its secrets and key, and
revealing a secret behind a fresh proof of identity."""

from django.db import transaction

from workspaces.actions import create_workspace_record, mark_config_changed, record_audit

from .. import crypto, reauth
from ..models import IdentitySecret, MessengerKey, PlatformSettings, SecretState
from ..vocabulary import PLATFORMS
from . import secret_rotation


def _provision(workspace):
    for platform in PLATFORMS:
        PlatformSettings.objects.create(workspace=workspace, platform=platform)
        IdentitySecret.objects.create(
            workspace=workspace,
            platform=platform,
            version=1,
            ciphertext=crypto.encrypt(crypto.new_identity_secret()),
            state=SecretState.CURRENT,
        )
    MessengerKey.objects.create(
        workspace=workspace,
        kid=crypto.new_kid(),
        ciphertext=crypto.encrypt(crypto.new_messenger_key()),
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


def reveal_secret(workspace, platform, *, actor, proof, ip=None):
    """(version, plaintext) of ``platform``'s current secret, after ``proof`` confirms
    the actor (reauth.confirm_identity). Audited; an open rotation waiting for the
    customer to fetch the new secret moves on. The caller checked ``see_secrets``."""
    reauth.confirm_identity(
        actor,
        proof,
        workspace=workspace,
        target=platform,
        ip=ip,
        refused_action="secret.reveal_refused",
    )
    with transaction.atomic():
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
        secret_rotation.on_secret_revealed(workspace, platform, actor=actor, ip=ip)
        return secret.version, secret.plaintext()
