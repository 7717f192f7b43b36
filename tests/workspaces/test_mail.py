"""Sending is never silent: one task sends each message through SMTP; a failure is logged
with the recipient's domain only (never the address or the body) and retried by Celery."""

import logging
import socket
from unittest import mock

import pytest

from tests.smtp import point_django_at
from workspaces import tasks
from workspaces.mail import MailNotSent, domain_of

pytestmark = pytest.mark.django_db


def closed_port():
    """A loopback port nothing listens on (an SMTP server that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_message_is_sent_through_the_smtp_server(smtp_server, settings):
    settings.DEFAULT_FROM_EMAIL = "Verity <verity@acme.test>"
    tasks.send_email.apply(("alice@example.test", "Hello", "The body"), throw=True)
    [message] = smtp_server.messages
    assert message.envelope_to == ["alice@example.test"]
    assert message["From"] == "Verity <verity@acme.test>"
    assert message["Subject"] == "Hello"
    assert message.get_content().strip() == "The body"


def test_a_failed_send_is_logged_with_the_domain_only_and_retried(settings, caplog):
    point_django_at(settings, closed_port())
    caplog.set_level(logging.INFO)
    with mock.patch.object(tasks.send_email, "retry", wraps=tasks.send_email.retry) as retry:
        result = tasks.send_email.apply(("alice@acme.test", "Subject", "secret body text"))

    assert result.failed() and isinstance(result.result, MailNotSent)
    assert retry.call_count == tasks.send_email.max_retries + 1  # the last one gives up
    sent_warnings = [r for r in caplog.records if r.name == "verity.mail"]
    assert len(sent_warnings) == tasks.send_email.max_retries + 1
    assert "acme.test" in sent_warnings[0].getMessage()
    assert any(r.levelno == logging.ERROR for r in caplog.records)  # giving up is loud
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        assert "alice" not in text
        assert "secret body" not in text


def test_the_mail_tasks_are_acknowledged_late_and_back_off():
    for task in (tasks.send_email, tasks.send_password_reset):
        assert task.acks_late
        assert task.autoretry_for == (MailNotSent,)
        assert task.retry_backoff and task.retry_jitter


def test_a_send_that_works_again_is_delivered_on_retry(smtp_server, settings):
    real_port = smtp_server.port
    attempts = []

    def down_once(*args, **kwargs):
        attempts.append(1)
        settings.EMAIL_PORT = real_port if len(attempts) > 1 else closed_port()
        return original(*args, **kwargs)

    original = tasks.mail.send_now
    with mock.patch.object(tasks.mail, "send_now", side_effect=down_once):
        tasks.send_email.apply(("bob@example.test", "Hi", "Body")).get()
    assert len(attempts) == 2
    assert [m.envelope_to for m in smtp_server.messages] == [["bob@example.test"]]


@pytest.mark.parametrize(
    ("address", "domain"),
    [("a@Example.TEST", "example.test"), ("no-at-sign", "no-at-sign"), ("x@", "(no domain)")],
)
def test_only_the_domain_of_an_address_is_named(address, domain):
    assert domain_of(address) == domain
