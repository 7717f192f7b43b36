"""How an action says no, once for both doors.

An action refuses by raising ``Refused``. The console renders it beside the field it names
(or as a message), and the API's exception handler renders it as
``{"error": code, "message": ..., **extra}`` with its status and ``Retry-After``.
Failures of the parts a request needs (the database, Redis, the broker, a stored secret
that no master key opens) are refusals too: ``refusal_for`` turns them into a 503 with
Retry-After, so neither door ever answers them with a 500.
"""

import logging

import kombu.exceptions
import redis.exceptions
from django.db import InterfaceError, OperationalError

log = logging.getLogger("verity.refusals")

RATE_LIMITED = "rate_limited"
SERVICE_UNAVAILABLE = "service_unavailable"
# How long a client should wait before retrying when a service is down.
UNAVAILABLE_RETRY_SECONDS = 5


class Refused(Exception):
    """A refusal with a stable ``code``, a message people can act on, an HTTP status, and
    optionally the form ``field`` it is about, a ``retry_after`` in seconds and ``extra``
    JSON-able details (the figures behind a confirmation, the keys in grace, ...)."""

    def __init__(self, code, message, *, status=409, field=None, retry_after=None, **extra):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.field = field
        self.retry_after = retry_after
        self.extra = extra

    def as_json(self):
        body = {"error": self.code, "message": self.message, **self.extra}
        if self.retry_after is not None:
            body["retry_after"] = self.retry_after
        if self.field is not None and self.status == 400:
            body["fields"] = {self.field: [self.message]}
        return body

    def headers(self):
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


def rate_limited(retry_after, what="Too many attempts"):
    """The one throttled answer of every route: 429, Retry-After, ``rate_limited``."""
    return Refused(
        RATE_LIMITED,
        f"{what}; try again in {retry_after} seconds.",
        status=429,
        retry_after=retry_after,
    )


def unavailable(service, retry_after=UNAVAILABLE_RETRY_SECONDS):
    """A service this request needs is down: 503 with Retry-After, never a 500."""
    return Refused(
        SERVICE_UNAVAILABLE,
        f"{service} is unavailable right now, so this could not be done. Nothing was "
        f"changed; try again in {retry_after} seconds.",
        status=503,
        retry_after=retry_after,
    )


def show_on_form(form, refusal):
    """Put ``refusal``'s message beside the field it names (or above the form)."""
    field = refusal.field if refusal.field in form.fields else None
    form.add_error(field, refusal.message)


def with_headers(response, refusal):
    """``response`` with the refusal's status and Retry-After."""
    response.status_code = refusal.status
    for name, value in refusal.headers().items():
        response[name] = value
    return response


class ServiceFault(Exception):
    """A part of the system that a request needs failed (not the caller's doing)."""

    code = SERVICE_UNAVAILABLE
    service = "A service Verity needs"
    # What the user reads; None: the usual "unavailable, try again" of ``unavailable``.
    user_message = None


# The parts a request may need, and the errors by which they say they are unreachable.
INFRASTRUCTURE_ERRORS = {
    "The database": (OperationalError, InterfaceError),
    "The cache (Redis)": (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError),
    "The job queue": (kombu.exceptions.OperationalError,),
}


def refusal_for(exc):
    """The Refused that ``exc`` stands for, or None for a real bug (a 500)."""
    if isinstance(exc, Refused):
        return exc
    if isinstance(exc, ServiceFault):
        log.error("%s: %s", type(exc).__name__, exc)
        if exc.user_message:
            return Refused(exc.code, exc.user_message, status=503)
        refusal = unavailable(exc.service)
        refusal.code = exc.code
        return refusal
    for service, classes in INFRASTRUCTURE_ERRORS.items():
        if isinstance(exc, classes):
            log.error("%s is unavailable: %s", service, type(exc).__name__)
            return unavailable(service)
    return None
