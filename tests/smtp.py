"""A real SMTP server on a free loopback port, started by the tests that send mail:
aiosmtpd's Controller (its own thread and event loop), keeping each message."""

import email
import email.policy
import logging
import socket

from aiosmtpd.controller import Controller

# The stand-in for the outside world's mail server: its own debug log (which names every
# recipient) is not Verity's, and tests that read Verity's logs must not see it.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class _Keep:
    """An aiosmtpd handler that accepts every message and keeps it."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message.envelope_to = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """Started on creation; ``messages`` are ``email.message.EmailMessage`` objects."""

    def __init__(self):
        self._handler = _Keep()
        self.port = _free_port()
        self._controller = Controller(self._handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    @property
    def messages(self):
        return self._handler.messages

    def stop(self):
        self._controller.stop()


def point_django_at(settings, port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
