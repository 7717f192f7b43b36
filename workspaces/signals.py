"""What workspaces hears from Django: failed logins go into the audit log, and the request
being served is remembered so that a refusal deep inside (workspace_for has no request)
knows the caller's address and outlives the rollback that follows it.
"""

import io
import logging
from contextvars import ContextVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_login_failed
from django.core.handlers.asgi import ASGIRequest
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import request_finished, request_started

from .actions import record_audit
from .auth import client_ip

log = logging.getLogger("verity.audit")

LOGIN_FAILED = "login.failed"


class _Serving:
    """The request in progress: its WSGI environ or ASGI scope, and the audit writes
    waiting for its end."""

    __slots__ = ("environ", "scope", "after_request", "_ip")

    def __init__(self, environ, scope):
        self.environ, self.scope = environ, scope
        self.after_request = []
        self._ip = ...

    @property
    def ip(self):
        # Worked out only when asked (a refusal is rare): a request object built from the
        # environ, so client_ip applies the same proxy rules as everywhere else.
        if self._ip is ...:
            try:
                if self.environ is not None:
                    request = WSGIRequest(self.environ)
                else:
                    request = ASGIRequest(self.scope, io.BytesIO())
                self._ip = client_ip(request)
            except Exception:  # an odd request must still get its 404, address or not
                log.warning("no client address for an audit event", exc_info=True)
                self._ip = None
        return self._ip


_serving = ContextVar("verity_serving", default=None)


def current_ip():
    """The address of the request being served (None outside a request)."""
    serving = _serving.get()
    return None if serving is None else serving.ip


def after_request(write):
    """Run ``write`` once the request being served has ended, outside every transaction of
    its view; False (and nothing queued) outside a request."""
    serving = _serving.get()
    if serving is None:
        return False
    serving.after_request.append(write)
    return True


def _request_started(sender, environ=None, scope=None, **kwargs):
    _serving.set(_Serving(environ, scope))


def _request_finished(sender, **kwargs):
    serving = _serving.get()
    _serving.set(None)
    if serving is None:
        return
    for write in serving.after_request:
        try:
            write()
        except Exception:  # the response is gone: log it, and let the other writes run
            log.exception("an audit event recorded during the request could not be written")


def _record_failed_login(sender, credentials=None, request=None, **kwargs):
    """``login.failed``: the username tried (never the password) and the address."""
    username = str((credentials or {}).get(get_user_model().USERNAME_FIELD, ""))
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.get_username() == username:
        # A signed-in user re-entering their password before a reveal: the reveal flow
        # records that refusal (secret.reveal_refused) with its workspace and target.
        return
    after = {"locked_out": True} if getattr(request, "axes_locked_out", False) else {}
    if kwargs.get("stage"):  # "second_factor": the password was right, the code was not
        after["stage"] = kwargs["stage"]
    record_audit(
        LOGIN_FAILED,
        actor=user or AnonymousUser(),
        target=username,
        after=after,
        ip=None if request is None else client_ip(request),
        role="",
    )


def connect():
    request_started.connect(_request_started, dispatch_uid="verity-serving-started")
    request_finished.connect(_request_finished, dispatch_uid="verity-serving-finished")
    user_login_failed.connect(_record_failed_login, dispatch_uid="verity-login-failed")
