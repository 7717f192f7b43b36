"""The support-run rotation of HMAC identity secrets (SPEC §5), as a visible state machine.

Two modes. **gap** (the seed's method): the customer turns enforcement off, support
rotates, the customer reveals the new secret, deploys it and turns enforcement back on.
**overlap**: support rotates while enforcement stays on; the old secret keeps verifying
until a deadline, so no user is ever impersonable; the request completes when the
customer confirms or the deadline passes. Because the customer must deploy the new secret
before that deadline, support may rotate only once the workspace's admin has accepted the
request (an admin's own request is accepted at once). A deadline that comes while the old
secret still verifies traffic is pushed back a day at a time (up to EXTENSION_LIMIT), and
both sides are told; after a suspected leak it is not: the leaked secret stops on time.

Every transition locks the platform's settings row first and the request second (the
same order as change_platform), checks that the move is in TRANSITIONS, and records a
timeline step and an audit event; a lost race is a Refused (HTTP 409).

(JWT messenger keys rotate differently, by the workspace's own admins:
``security.actions.jwt_keys.rotate_messenger_key``.)
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from workspaces.access import can, membership_for
from workspaces.actions import mark_config_changed, record_audit
from workspaces.refusals import Refused

from .. import crypto
from ..models import (
    IdentitySecret,
    PlatformSettings,
    RotationMode,
    RotationReason,
    RotationRequest,
    RotationState,
    RotationStep,
    SecretState,
)
from ..validators import (
    checked,
    validate_overlap_hours,
    validate_rotation_request,
    validate_ticket,
)
from ..vocabulary import OPEN_ROTATION_STATES, ROTATED_STATES, platform_label
from .notices import notify_admins

S = RotationState

# An old secret that verified a request this recently is still deployed somewhere.
IN_USE_WINDOW = timedelta(hours=1)
EXTENSION = timedelta(days=1)
EXTENSION_LIMIT = 7

# mode -> state -> the states it may move to
TRANSITIONS = {
    RotationMode.GAP: {
        S.REQUESTED: {S.READY, S.CANCELLED},
        S.READY: {S.REQUESTED, S.ROTATED, S.CANCELLED},
        S.ROTATED: {S.SECRET_VIEWED},
        S.SECRET_VIEWED: {S.COMPLETED},
    },
    RotationMode.OVERLAP: {
        S.REQUESTED: {S.ACCEPTED, S.CANCELLED},
        S.ACCEPTED: {S.ROTATED, S.CANCELLED},
        S.ROTATED: {S.SECRET_VIEWED, S.COMPLETED},
        S.SECRET_VIEWED: {S.COMPLETED},
    },
}


def _label(actor):
    return getattr(actor, "username", "") or "system"


def _is_admin(actor, workspace):
    membership = membership_for(actor, workspace) if actor is not None else None
    return membership is not None and can(membership.role, "admin")


def _move(request, new_state, *, actor, note="", ip=None):
    allowed = TRANSITIONS[request.mode].get(request.state, set())
    if new_state not in allowed:
        raise Refused(
            "wrong_state",
            f"This request is {request.get_state_display().lower()}; it cannot become "
            f"{S(new_state).label.lower()}.",
        )
    before = request.state
    request.state = new_state
    request.updated_at = timezone.now()
    request.save(update_fields=["state", "updated_at"])
    RotationStep.objects.create(
        request=request,
        state=new_state,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=_label(actor),
        note=note,
    )
    record_audit(
        f"rotation.{new_state}",
        actor=actor,
        workspace=request.workspace,
        target=f"{request.platform} #{request.pk}",
        before={"state": before},
        after={"state": new_state, "ticket": request.ticket},
        ip=ip,
    )
    notify_admins(request)


def _locked(request_id):
    """Lock the platform row, then the request (always in that order)."""
    request = RotationRequest.objects.select_related("workspace").get(pk=request_id)
    settings_row = PlatformSettings.objects.select_for_update().get(
        workspace=request.workspace, platform=request.platform
    )
    request = (
        RotationRequest.objects.select_for_update().select_related("workspace").get(pk=request_id)
    )
    return request, settings_row


def open_request(workspace, platform, *, mode, reason, ticket, actor, overlap_hours=None, ip=None):
    """Open a rotation request; at most one open request per (workspace, platform)."""
    if mode not in RotationMode.values or reason not in RotationReason.values:
        raise Refused("invalid_choice", "Choose a mode and a reason from the list.", status=400)
    ticket = checked(validate_ticket, ticket, field="ticket").strip()
    try:
        validate_rotation_request(mode, overlap_hours)
    except ValidationError as exc:
        raise Refused(
            "overlap_hours_required", exc.messages[0], status=400, field="overlap_hours"
        ) from None
    overlap_until = None
    if mode == RotationMode.OVERLAP:
        checked(validate_overlap_hours, overlap_hours, field="overlap_hours")
        overlap_until = timezone.now() + timedelta(hours=overlap_hours)
    try:
        with transaction.atomic():
            settings_row = PlatformSettings.objects.select_for_update().get(
                workspace=workspace, platform=platform
            )
            request = RotationRequest.objects.create(
                workspace=workspace,
                platform=platform,
                mode=mode,
                reason=reason,
                ticket=ticket,
                requested_by=actor,
                overlap_until=overlap_until,
            )
            RotationStep.objects.create(
                request=request,
                state=S.REQUESTED,
                actor=actor,
                actor_label=_label(actor),
                note=RotationReason(reason).label,
            )
            record_audit(
                "rotation.requested",
                actor=actor,
                workspace=workspace,
                target=f"{platform} #{request.pk}",
                after={"mode": mode, "reason": reason, "ticket": ticket},
                ip=ip,
            )
            if mode == RotationMode.GAP and not settings_row.enforced:
                _move(request, S.READY, actor=actor, note="Enforcement was already off.", ip=ip)
            elif mode == RotationMode.OVERLAP and _is_admin(actor, workspace):
                _move(request, S.ACCEPTED, actor=actor, note="Requested by an admin.", ip=ip)
            else:
                notify_admins(request)
    except IntegrityError:
        raise Refused(
            "rotation_already_open",
            f"{platform_label(platform)} already has an open rotation request; follow or "
            "cancel it first.",
        ) from None
    return request


@transaction.atomic
def rotate(request_id, *, actor, ip=None):
    """Support issues the new secret. Gap mode needs enforcement off; a double click
    finds the request already rotated and gets a conflict, not a second rotation."""
    request, settings_row = _locked(request_id)
    if request.state == S.ROTATED:
        raise Refused("already_rotated", "This secret has already been rotated.")
    if request.mode == RotationMode.OVERLAP and request.state == S.REQUESTED:
        raise Refused(
            "awaiting_customer",
            f"The workspace's admin has not accepted this overlap rotation yet. Once they "
            f"accept it (on their security overview, or through the API), you can rotate: "
            f"until then the {platform_label(request.platform)} secret stays as it is.",
        )
    if request.mode == RotationMode.GAP and settings_row.enforced:
        raise Refused(
            "platform_enforced",
            f"Enforcement is on for {platform_label(request.platform)}. The customer must turn "
            "it off in the security settings before support can rotate, or use overlap mode.",
        )
    _move(request, S.ROTATED, actor=actor, ip=ip)
    current = IdentitySecret.objects.select_for_update().get(
        workspace=request.workspace, platform=request.platform, state=SecretState.CURRENT
    )
    now = timezone.now()
    if request.mode == RotationMode.OVERLAP:
        # The overlap asked for runs from the rotation, not from the request.
        request.overlap_until = now + (request.overlap_until - request.created_at)
    current.state = SecretState.RETIRED
    current.retired_at = now
    current.valid_until = request.overlap_until if request.mode == RotationMode.OVERLAP else None
    current.save(update_fields=["state", "retired_at", "valid_until"])
    new = IdentitySecret.objects.create(
        workspace=request.workspace,
        platform=request.platform,
        version=current.version + 1,
        ciphertext=crypto.encrypt(crypto.new_identity_secret()),
        state=SecretState.CURRENT,
    )
    request.old_version, request.new_version = current.version, new.version
    request.save(update_fields=["old_version", "new_version", "overlap_until"])
    mark_config_changed(request.workspace)
    return request


@transaction.atomic
def accept(request_id, *, actor, ip=None):
    """The customer's admin lets support rotate while enforcement stays on (overlap)."""
    request, _ = _locked(request_id)
    if request.mode != RotationMode.OVERLAP:
        raise Refused(
            "wrong_mode",
            "Only an overlap rotation is accepted this way; a gap rotation starts when you "
            "turn enforcement off.",
        )
    _move(request, S.ACCEPTED, actor=actor, note="Accepted by the customer.", ip=ip)
    return request


@transaction.atomic
def cancel(request_id, *, actor, ip=None):
    request, _ = _locked(request_id)
    _move(request, S.CANCELLED, actor=actor, ip=ip)
    return request


def _retire_overlap(request, *, actor, note, ip=None):
    IdentitySecret.objects.filter(
        workspace=request.workspace,
        platform=request.platform,
        version=request.old_version,
        state=SecretState.RETIRED,
    ).update(valid_until=timezone.now())
    mark_config_changed(request.workspace)
    _move(request, S.COMPLETED, actor=actor, note=note, ip=ip)


@transaction.atomic
def finish_overlap(request_id, *, actor, override=False, ip=None):
    """The customer confirms the new secret is deployed: the old one stops now.

    Only once the new secret has verified traffic, or with ``override``: retiring the old
    secret before the servers sign with the new one rejects every identified user."""
    request, _ = _locked(request_id)
    if request.mode != RotationMode.OVERLAP:
        raise Refused(
            "wrong_mode", "Only an overlap rotation is finished this way; turn enforcement on."
        )
    verified = request.state in ROTATED_STATES and request.new_secret_verified()
    if request.state in ROTATED_STATES and not verified and not override:
        raise Refused(
            "new_secret_unused",
            f"The new {platform_label(request.platform)} secret has not verified any request "
            "yet: your servers still sign with the old one, and retiring it now would reject "
            "every identified user. Deploy the new secret first, or retire the old one anyway "
            "(override).",
        )
    note = "Confirmed by the customer."
    if not verified:
        note = "Confirmed by the customer before the new secret verified any request (override)."
    _retire_overlap(request, actor=actor, note=note, ip=ip)
    return request


def _old_secret_in_use(request, now):
    """When the old secret last verified a request, if within IN_USE_WINDOW of ``now``."""
    last_used = (
        IdentitySecret.objects.filter(
            workspace=request.workspace, platform=request.platform, version=request.old_version
        )
        .values_list("last_used_at", flat=True)
        .first()
    )
    return last_used if last_used and now - last_used <= IN_USE_WINDOW else None


def _extend(request, now, last_used):
    """Push the deadline back a day, on both sides' timeline, in the audit log and by mail."""
    request.overlap_until = max(request.overlap_until, now) + EXTENSION
    request.extensions += 1
    request.save(update_fields=["overlap_until", "extensions"])
    IdentitySecret.objects.filter(
        workspace=request.workspace, platform=request.platform, version=request.old_version
    ).update(valid_until=request.overlap_until)
    mark_config_changed(request.workspace)
    note = (
        f"Deadline moved to {request.overlap_until:%Y-%m-%d %H:%M} UTC: the old secret still "
        f"verified requests at {last_used:%Y-%m-%d %H:%M} UTC. Deploy the new secret."
    )
    RotationStep.objects.create(
        request=request, state=request.state, actor_label="system", note=note
    )
    record_audit(
        "rotation.extended",
        workspace=request.workspace,
        target=f"{request.platform} #{request.pk}",
        after={
            "overlap_until": request.overlap_until.isoformat(),
            "last_used": last_used.isoformat(),
        },
    )
    notify_admins(request)


def expire_overlaps(now=None):
    """Complete overlap rotations whose deadline has passed (run by beat); idempotent.

    A deadline that comes while the old secret still verifies traffic is moved back
    (``_extend``), except after a suspected leak and past EXTENSION_LIMIT extensions.
    """
    now = now or timezone.now()
    due = RotationRequest.objects.filter(
        mode=RotationMode.OVERLAP,
        state__in=ROTATED_STATES,
        overlap_until__lte=now,
    ).values_list("pk", flat=True)
    done = 0
    for pk in list(due):
        with transaction.atomic():
            request, _ = _locked(pk)
            if request.state not in ROTATED_STATES or request.overlap_until > now:
                continue
            last_used = _old_secret_in_use(request, now)
            if (
                last_used
                and request.reason != RotationReason.SUSPECTED_LEAK
                and request.extensions < EXTENSION_LIMIT
            ):
                _extend(request, now, last_used)
                continue
            _retire_overlap(request, actor=None, note="The overlap deadline passed.")
            done += 1
    return done


def on_enforcement_change(workspace, platform, on, *, actor, ip=None):
    """Called by set_enforcement inside its transaction, after it locked the platform row."""
    request = (
        RotationRequest.objects.select_for_update()
        .filter(workspace=workspace, platform=platform, mode=RotationMode.GAP)
        .filter(state__in=OPEN_ROTATION_STATES)
        .first()
    )
    if request is None:
        return
    if not on and request.state == S.REQUESTED:
        _move(request, S.READY, actor=actor, note="Enforcement turned off.", ip=ip)
    elif on and request.state == S.READY:
        _move(request, S.REQUESTED, actor=actor, note="Enforcement turned back on.", ip=ip)
    elif on and request.state == S.ROTATED:
        raise Refused(
            "secret_not_viewed",
            "The secret was rotated but nobody has revealed the new one yet. Reveal it and "
            "deploy it to your servers before turning enforcement back on, or every "
            "identified user will be rejected.",
        )
    elif on and request.state == S.SECRET_VIEWED:
        _move(request, S.COMPLETED, actor=actor, note="Enforcement turned back on.", ip=ip)


def on_secret_revealed(workspace, platform, *, actor, ip=None):
    """Called when an admin reveals the current secret of a platform."""
    request = (
        RotationRequest.objects.select_for_update()
        .filter(workspace=workspace, platform=platform, state=S.ROTATED)
        .first()
    )
    if request is not None:
        _move(request, S.SECRET_VIEWED, actor=actor, ip=ip)
