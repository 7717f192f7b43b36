"""Sending mail, never silently: every message goes through a Celery task
(workspaces.tasks: ``queue_email``, ``queue_password_reset``, ``queue_invitation``),
published after the caller's transaction commits. A failure is logged
with the recipient's domain only (never the address or the body) and retried by Celery.
"""

import logging

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from . import throttle
from .actions import record_audit
from .models import Invitation, InvitationState

log = logging.getLogger("verity.mail")


class MailNotSent(Exception):
    """A send that failed, said without the address or the body (what Celery logs)."""


def domain_of(address):
    """The part of an address a log may name."""
    return address.rpartition("@")[2].strip().lower() or "(no domain)"


def send_now(to, subject, body):
    """Send one message to one recipient; on failure log the domain and raise MailNotSent
    (smtplib's own errors may quote the address, so they go no further than here)."""
    try:
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to]).send()
    except OSError as exc:  # smtplib.SMTPException and connection errors are OSErrors
        log.warning("mail to a recipient at %s not sent: %s", domain_of(to), type(exc).__name__)
        raise MailNotSent(f"to a recipient at {domain_of(to)}: {type(exc).__name__}") from None


def send_password_reset(email, *, domain, use_https, ip):
    """Email a reset link to each active account using ``email`` that is under its hourly
    limit; the token is made here, in the worker, so it never sits in the broker."""
    sent = 0
    for user in PasswordResetForm().get_users(email):
        if throttle.over_limit(
            "password-reset-account", user.pk, settings.VERITY_PASSWORD_RESET_LIMIT, 3600
        ):
            record_audit("password.reset_throttled", target=user.get_username(), ip=ip)
            continue
        context = {
            "user": user,
            "domain": domain,
            "protocol": "https" if use_https else "http",
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
            "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
        }
        subject = " ".join(render_to_string("registration/password_reset_subject.txt").split())
        body = render_to_string("registration/password_reset_email.txt", context)
        send_now(user.email, subject, body)
        record_audit("password.reset_requested", target=user.get_username(), ip=ip)
        sent += 1
    return sent


def send_invitation(invitation_id, base_url):
    """Email the link of a pending, unexpired invitation; nothing for one revoked,
    accepted or expired since it was queued (so the task is safe to run twice). The token
    is made here, in the worker, so it never sits in the broker: each send makes a new
    one and the link of an earlier message stops working."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("workspace", "invited_by")
            .filter(pk=invitation_id, state=InvitationState.PENDING, expires_at__gt=timezone.now())
            .first()
        )
        if invitation is None:
            return False
        token = invitation.new_token()
        invitation.save(update_fields=["digest"])
    path = reverse("workspaces:invitation", kwargs={"pk": invitation.pk, "token": token})
    context = {
        "invitation": invitation,
        "link": f"{base_url.rstrip('/')}{path}",
        "inviter": invitation.invited_by.get_username() if invitation.invited_by else "An admin",
    }
    subject = " ".join(render_to_string("workspaces/invitation_subject.txt", context).split())
    body = render_to_string("workspaces/invitation_email.txt", context)
    send_now(invitation.email, subject, body)
    Invitation.objects.filter(pk=invitation.pk, digest=invitation.digest).update(
        sent_at=timezone.now(), times_sent=invitation.times_sent + 1
    )
    return True
