"""A real SMTP server on a free loopback port, started by the tests that send mail.

aiosmtpd is not installed in this environment (and nothing may be pip-installed), so this
is Python 3.11's own ``smtpd`` server, run in a thread. ``smtpd`` leaves the standard
library in Python 3.12: with the move, replace it with ``aiosmtpd.controller.Controller``
and a handler whose ``handle_DATA`` appends to ``messages``, as here.
"""

import email
import email.policy
import threading
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import asyncore
    import smtpd


class SmtpServer(smtpd.SMTPServer):
    """Accepts every message and keeps it as ``email.message.EmailMessage``."""

    def __init__(self):
        self.map = {}
        super().__init__(("127.0.0.1", 0), None, map=self.map, decode_data=False)
        self.port = self.socket.getsockname()[1]
        self.messages = []
        self._running = True
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        message = email.message_from_bytes(data, policy=email.policy.default)
        message.envelope_to = rcpttos
        self.messages.append(message)

    def _serve(self):
        while self._running:
            asyncore.loop(timeout=0.05, map=self.map, count=1)

    def stop(self):
        self._running = False
        self._thread.join(5)
        asyncore.close_all(map=self.map)


def point_django_at(settings, port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
