"""Enrolling and removing second factors, recovery codes, and the workspace's
"require two-factor for members" setting; each audited. Checking a factor is
``workspaces.two_factor`` (codes) and ``workspaces.passkeys`` (WebAuthn)."""

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp_webauthn.models import WebAuthnCredential

from workspaces import passkeys
from workspaces.actions import record_audit
from workspaces.refusals import Refused
from workspaces.two_factor import (
    RECOVERY_CODE_COUNT,
    RECOVERY_CODES,
    has_second_factor,
    new_recovery_code,
    recovery_digest,
)

from .. import reauth
from ..authenticator import AuthenticatorApp

TOTP_NAME = "Authenticator app"
MAX_PASSKEY_NAME = 64
# What a factor is called in URLs and audit events, and its django-otp model.
KINDS = {"totp": AuthenticatorApp, "passkey": WebAuthnCredential}


def pending_totp(user, device_id=None):
    """The authenticator-app device waiting for its first code: the one ``device_id``
    names if it is still waiting, else a new one (older waiting ones are dropped)."""
    if AuthenticatorApp.objects.filter(user=user, confirmed=True).exists():
        raise Refused(
            "totp_exists",
            "An authenticator app is already set up. Remove it first to set up another.",
        )
    device = AuthenticatorApp.objects.filter(user=user, confirmed=False, pk=device_id).first()
    if device is None:
        AuthenticatorApp.objects.filter(user=user, confirmed=False).delete()
        device = AuthenticatorApp.new(user, TOTP_NAME)
    return device


@transaction.atomic
def confirm_totp(user, device_id, code, *, ip=None):
    """The first right code confirms the authenticator app; refuses ``wrong_code``."""
    device = AuthenticatorApp.objects.filter(user=user, confirmed=False, pk=device_id).first()
    if device is None:
        raise Refused("no_pending_totp", "Start the set-up again.", status=400, field="code")
    code = "".join(str(code or "").split())
    if not code.isdigit() or not device.verify_token(code):
        raise Refused(
            "wrong_code",
            "That code is not right. Check the time on your phone and enter the current code.",
            status=400,
            field="code",
        )
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    record_audit("two_factor.totp_added", actor=user, target=user.username, ip=ip)
    return device


@transaction.atomic
def add_passkey(request, user, data, name, *, ip=None):
    """Verify the browser's registration answer and keep the credential, named."""
    name = (name or "").strip()[:MAX_PASSKEY_NAME] or "Passkey"
    device = passkeys.complete_registration(request, user, data)
    device.name = name
    device.save(update_fields=["name"])
    record_audit(
        "two_factor.passkey_added",
        actor=user,
        target=user.username,
        after={"name": name},
        ip=ip,
    )
    return device


@transaction.atomic
def regenerate_recovery_codes(user, *, ip=None):
    """Ten new single-use recovery codes; the old ones stop working. Returns the codes,
    which the caller shows once: only their HMACs are stored."""
    if not has_second_factor(user):
        raise Refused(
            "no_second_factor",
            "Set up an authenticator app or a passkey first: recovery codes stand in for them.",
        )
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_CODES, defaults={"confirmed": True}
    )
    had = device.token_set.exists()
    device.token_set.all().delete()
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=recovery_digest(code)) for code in codes
    )
    record_audit(
        "two_factor.recovery_codes_regenerated" if had else "two_factor.recovery_codes_created",
        actor=user,
        target=user.username,
        after={"count": len(codes)},
        ip=ip,
    )
    return codes


def factor_of(user, kind, pk):
    model = KINDS.get(kind)
    device = model.objects.filter(user=user, pk=pk, confirmed=True).first() if model else None
    if device is None:
        raise Refused("no_such_factor", "That factor does not exist (any more).", status=404)
    return device


def remove_factor(user, kind, pk, *, proof, ip=None):
    """Remove one of ``user``'s factors after ``proof`` confirms them (the second factor
    once enrolled, as every confirmation). With no factor left the recovery codes go too."""
    device = factor_of(user, kind, pk)
    reauth.confirm_identity(
        user, proof, target=user.username, ip=ip, refused_action="two_factor.remove_refused"
    )
    with transaction.atomic():
        device.delete()
        left = has_second_factor(user)
        if not left:
            StaticDevice.objects.filter(user=user).delete()
        record_audit(
            "two_factor.removed",
            actor=user,
            target=user.username,
            before={"kind": kind, "name": device.name},
            after={"second_factor_left": left},
            ip=ip,
        )


@transaction.atomic
def set_two_factor_required(workspace, required, *, actor, ip=None):
    """Require (or stop requiring) a second factor of every member; the [TEST] twin
    shares the setting. An admin without a factor cannot turn it on (they would be sent
    to enrolment at once)."""
    owner = workspace.production if workspace.is_test and workspace.production else workspace
    if not isinstance(required, bool):
        raise Refused(
            "invalid_value",
            "require_two_factor must be true or false.",
            status=400,
            field="require_two_factor",
        )
    if required and not has_second_factor(actor):
        raise Refused(
            "enrol_first",
            "Set up an authenticator app or a passkey on your profile first: once required, "
            "members without one are sent to set one up before they can open the workspace.",
            field="require_two_factor",
        )
    before = owner.require_two_factor
    if before != required:
        type(owner).objects.filter(pk=owner.pk).update(require_two_factor=required)
        owner.require_two_factor = required
        record_audit(
            "workspace.two_factor_required" if required else "workspace.two_factor_optional",
            actor=actor,
            workspace=owner,
            target=owner.app_id,
            before={"require_two_factor": before},
            after={"require_two_factor": required},
            ip=ip,
        )
    return required
