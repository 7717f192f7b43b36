"""Celery tasks of the workspaces app: values in, a plain function called.

Mail tasks are retried with exponential backoff when the SMTP server fails; they are
acknowledged late, so a message whose worker died is sent again (at least once: a
recipient may rarely get a message twice, never none without an ERROR in the log).
"""

from celery import shared_task
from django.db import transaction

from . import mail

RETRY = {
    "acks_late": True,
    "autoretry_for": (mail.MailNotSent,),
    "retry_backoff": 30,  # 30 s, 60 s, 120 s ... (with jitter), at most an hour apart
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 8,
    "ignore_result": True,
}


@shared_task(name="workspaces.send_email", **RETRY)
def send_email(to, subject, body):
    """Send one message to one address."""
    mail.send_now(to, subject, body)


@shared_task(name="workspaces.send_password_reset", **RETRY)
def send_password_reset(email, domain, use_https, ip):
    """Email a reset link to the accounts using ``email`` (none: nothing is sent)."""
    return mail.send_password_reset(email, domain=domain, use_https=use_https, ip=ip)


@shared_task(name="workspaces.send_invitation", **RETRY)
def send_invitation(invitation_id, base_url):
    """Email an invitation's link (a new token each time: made in the worker)."""
    return mail.send_invitation(invitation_id, base_url)


def queue_email(to, subject, body):
    """One task per recipient in ``to``, published after the transaction commits (at once
    outside one): a rolled-back change sends nothing."""
    for address in to:
        transaction.on_commit(lambda address=address: send_email.delay(address, subject, body))


def queue_password_reset(email, *, domain, use_https, ip):
    """The same work whether or not an account uses ``email`` (the task looks them up),
    so neither the page nor its timing tells."""
    transaction.on_commit(lambda: send_password_reset.delay(email, domain, use_https, ip))


def queue_invitation(invitation_id, *, base_url):
    """Send an invitation after the transaction that made (or renewed) it commits."""
    transaction.on_commit(lambda: send_invitation.delay(invitation_id, base_url))
