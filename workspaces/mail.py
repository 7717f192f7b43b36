"""Sending mail, never silently: every message goes through a Celery task
(workspaces.tasks: ``queue_email``, ``queue_password_reset``), published after the
caller's transaction commits. A failure is logged
with the recipient's domain only (never the address or the body) and retried by Celery.
"""

import logging

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from . import throttle
from .actions import record_audit

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
