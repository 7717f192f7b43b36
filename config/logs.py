"""Logging pieces that config/settings.py's LOGGING names."""

import logging


class OneLineClientErrors(logging.Formatter):
    """A refused request (4xx: a 403, a 404) is one line in the log; Django attaches the
    exception's traceback, which only a server error (5xx) deserves."""

    def format(self, record):
        if record.exc_info and getattr(record, "status_code", 500) < 500:
            record = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None})
        return super().format(record)


class ErrorsLoggedOnce(logging.Filter):
    """runserver's access line of an error answer repeats what django.request has just
    logged for it (every 4xx and 5xx): keep one."""

    def filter(self, record):
        return not (record.name == "django.server" and getattr(record, "status_code", 0) >= 400)
