"""Invitations: an admin invites an address with a role; the emailed link works once,
for 7 days, and joins the workspace and its twin (one member list). Resending makes a new
link (the old one stops working), revoking closes it. Every step is audited.

The link's token is made by the mail task in the worker (workspaces.mail.send_invitation)
and stored only as a digest, compared in constant time.
"""

import hmac
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from . import throttle
from .actions import add_member, record_audit
from .members import check_role, lock_roster
from .models import Invitation, InvitationState, Membership
from .refusals import Refused, rate_limited
from .tasks import queue_invitation

VALID_DAYS = 7
# Invitation emails (new and resent) per workspace and hour: an admin's account in the
# wrong hands must not make Verity a spam cannon.
SENDS_PER_HOUR = 30
MAX_EMAIL_LENGTH = Invitation._meta.get_field("email").max_length

# Why a link does not open (410: it did work once; 404: it never did, or was replaced).
INVALID = "invitation_invalid"
USED = "invitation_used"
REVOKED = "invitation_revoked"
EXPIRED = "invitation_expired"


def normalize_email(value):
    """The address as stored and compared: trimmed, lower case; a 400 if it is none."""
    email = str(value).strip().lower()
    try:
        if len(email) > MAX_EMAIL_LENGTH:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        raise Refused(
            "invalid_email",
            "Enter an email address such as ann@example.com.",
            status=400,
            field="email",
        ) from None
    return email


def _count_a_send(workspace):
    if throttle.over_limit("invitation-sends", workspace.roster_id, SENDS_PER_HOUR, 3600):
        raise rate_limited(
            3600 - int(time.time()) % 3600,
            f"This workspace sent {SENDS_PER_HOUR} invitations in the last hour",
        )


def pending_invitations(workspace):
    """The invitations of the workspace (and its twin) still open, expired ones included
    (they can be resent or revoked), newest first."""
    return Invitation.objects.filter(
        workspace_id=workspace.roster_id, state=InvitationState.PENDING
    ).select_related("invited_by")


def is_expired(invitation, now=None):
    return invitation.expires_at <= (now or timezone.now())


def _pending(workspace, invitation_id):
    invitation = (
        Invitation.objects.select_for_update()
        .filter(pk=invitation_id, workspace_id=workspace.roster_id)
        .first()
    )
    if invitation is None:
        raise Refused("no_such_invitation", "There is no such invitation.", status=404)
    if invitation.state != InvitationState.PENDING:
        raise Refused(
            "invitation_closed",
            f"The invitation of {invitation.email} was already {invitation.state}.",
            status=409,
        )
    return invitation


@transaction.atomic
def invite(workspace, email, role, *, actor, base_url, ip=None):
    """Invite ``email`` as ``role``: refused for a member's address (409 ``already_member``)
    or one with an open invitation (409 ``already_invited``: resend that one)."""
    email = normalize_email(email)
    check_role(role)
    lock_roster(workspace)
    members = Membership.objects.filter(workspace_id=workspace.roster_id, user__is_active=True)
    if members.filter(user__email__iexact=email).exists():
        raise Refused(
            "already_member",
            f"{email} already belongs to a member of this workspace. Change their role in "
            "the list instead.",
            status=409,
            field="email",
        )
    if pending_invitations(workspace).filter(email=email).exists():
        raise Refused(
            "already_invited",
            f"{email} has an open invitation already: resend or revoke it in the list of "
            "pending invitations.",
            status=409,
            field="email",
        )
    _count_a_send(workspace)
    invitation = Invitation.objects.create(
        workspace_id=workspace.roster_id,
        email=email,
        role=role,
        invited_by=actor,
        expires_at=timezone.now() + timedelta(days=VALID_DAYS),
    )
    record_audit(
        "member.invited",
        actor=actor,
        workspace=workspace,
        target=email,
        after={
            "role": role,
            "invitation": invitation.pk,
            "expires_at": invitation.expires_at.isoformat(),
        },
        ip=ip,
    )
    queue_invitation(invitation.pk, base_url=base_url)
    return invitation


@transaction.atomic
def resend_invitation(workspace, invitation_id, *, actor, base_url, ip=None):
    """Send a new link for another 7 days; the link sent before stops working at once."""
    invitation = _pending(workspace, invitation_id)
    _count_a_send(workspace)
    invitation.digest = ""
    invitation.expires_at = timezone.now() + timedelta(days=VALID_DAYS)
    invitation.save(update_fields=["digest", "expires_at"])
    record_audit(
        "invitation.resent",
        actor=actor,
        workspace=workspace,
        target=invitation.email,
        after={
            "role": invitation.role,
            "invitation": invitation.pk,
            "expires_at": invitation.expires_at.isoformat(),
        },
        ip=ip,
    )
    queue_invitation(invitation.pk, base_url=base_url)
    return invitation


@transaction.atomic
def revoke_invitation(workspace, invitation_id, *, actor, ip=None):
    """Close an open invitation: its link then says it was revoked."""
    invitation = _pending(workspace, invitation_id)
    invitation.state = InvitationState.REVOKED
    invitation.closed_at = timezone.now()
    invitation.save(update_fields=["state", "closed_at"])
    record_audit(
        "invitation.revoked",
        actor=actor,
        workspace=workspace,
        target=invitation.email,
        before={"role": invitation.role, "invitation": invitation.pk},
        ip=ip,
    )
    return invitation


def open_invitation(invitation_id, token, *, lock=False):
    """The invitation this link opens, or a Refused saying why not: 404
    ``invitation_invalid`` for a wrong (or replaced) token, 410 for one that was used,
    revoked or has expired. The token is compared as a digest, in constant time."""
    rows = Invitation.objects.select_related("workspace", "invited_by")
    if lock:
        rows = rows.select_for_update(of=("self",))
    invitation = rows.filter(pk=invitation_id).first()
    given = Invitation.digest_of(token)
    if invitation is None or not hmac.compare_digest(invitation.digest or "-", given):
        raise Refused(
            INVALID,
            "This invitation link is not valid. If you were sent a newer invitation, use "
            "the link in that message; otherwise ask an admin of the workspace to resend it.",
            status=404,
        )
    if invitation.state == InvitationState.ACCEPTED:
        raise Refused(
            USED,
            "This invitation was already accepted: it works once. Log in to open the workspace.",
            status=410,
        )
    if invitation.state == InvitationState.REVOKED:
        raise Refused(
            REVOKED,
            "This invitation was revoked by an admin of the workspace. Ask them for a new one.",
            status=410,
        )
    if is_expired(invitation):
        raise Refused(
            EXPIRED,
            f"This invitation expired on {invitation.expires_at:%Y-%m-%d %H:%M} UTC. Ask an "
            "admin of the workspace to resend it.",
            status=410,
        )
    return invitation


def account_for(email):
    """The active account using ``email`` (the first, should several), or None."""
    return (
        get_user_model().objects.filter(email__iexact=email, is_active=True).order_by("pk").first()
    )


def email_mismatch(invitation, user):
    """The refusal for a logged-in ``user`` whose address is not the invited one, or None
    (the page says it before the user clicks; the action refuses)."""
    if (user.email or "").strip().lower() == invitation.email:
        return None
    return Refused(
        "email_mismatch",
        f"This invitation is for {invitation.email}, but you are logged in as "
        f"{user.get_username()} ({user.email or 'no email address'}). Log out and open the "
        "link again with the account that uses that address, or ask the admin to invite "
        "your address.",
        status=403,
    )


@transaction.atomic
def accept_invitation(invitation_id, token, user, *, ip=None):
    """Join as ``user`` (logged in), whose email must be the invited address (403
    ``email_mismatch``: said plainly, with both addresses)."""
    invitation = open_invitation(invitation_id, token, lock=True)
    mismatch = email_mismatch(invitation, user)
    if mismatch is not None:
        raise mismatch
    _join(invitation, user, ip=ip)
    return invitation


@transaction.atomic
def accept_with_new_account(invitation_id, token, *, username, password, ip=None):
    """Create the account (username and password: Django's validators) and join."""
    invitation = open_invitation(invitation_id, token, lock=True)
    if account_for(invitation.email) is not None:
        raise Refused(
            "account_exists",
            f"An account already uses {invitation.email}: log in with it, then open the "
            "link again.",
            status=409,
        )
    User = get_user_model()
    username = str(username).strip()
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise Refused(
            "invalid_username", " ".join(exc.messages), status=400, field="username"
        ) from None
    if not username or len(username) > User._meta.get_field("username").max_length:
        raise Refused(
            "invalid_username",
            "Choose a username of 1 to 150 characters.",
            status=400,
            field="username",
        )
    if User.objects.filter(username__iexact=username).exists():
        raise Refused(
            "username_taken",
            "This username is taken: choose another.",
            status=409,
            field="username",
        )
    candidate = User(username=username, email=invitation.email)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise Refused(
            "invalid_password", " ".join(exc.messages), status=400, field="password1"
        ) from None
    user = User.objects.create_user(username, email=invitation.email, password=password)
    record_audit("user.created", actor=user, target=username, after={"via": "invitation"}, ip=ip)
    _join(invitation, user, ip=ip)
    return user


def _join(invitation, user, *, ip):
    workspace = invitation.workspace
    lock_roster(workspace)
    existing = Membership.objects.filter(user=user, workspace_id=workspace.roster_id).first()
    if existing is not None:
        raise Refused(
            "already_member",
            f"You are already a member of this workspace (as {existing.role}). Ask an admin "
            "if your role should change.",
            status=409,
        )
    closed = Invitation.objects.filter(
        pk=invitation.pk, state=InvitationState.PENDING, digest=invitation.digest
    ).update(state=InvitationState.ACCEPTED, closed_at=timezone.now(), accepted_by=user)
    if not closed:  # a second click that lost the race (SQLite takes no row lock)
        raise Refused(USED, "This invitation was already accepted: it works once.", status=410)
    add_member(workspace, user, invitation.role, actor=user, ip=ip)
    record_audit(
        "invitation.accepted",
        actor=user,
        workspace=workspace,
        target=invitation.email,
        after={
            "role": invitation.role,
            "invitation": invitation.pk,
            "invited_by": invitation.invited_by.get_username() if invitation.invited_by else "",
        },
        ip=ip,
    )
