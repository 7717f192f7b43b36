"""The messenger gateway endpoint: thin HTTP around security.gateway.

``handle`` does the whole job on plain values and returns a ``Reply``. Two doors lead to
it: ``GatewayRoute`` wraps the project's WSGI application and answers
POST /messenger/v1/ping itself, before Django's request machinery (middleware, URL
resolving, request and response objects, per-request logging), which is most of a
request's cost when the decision itself costs microseconds; and the Django view ``ping``,
which the URLconf keeps for the test client and for any server that calls Django
directly. Both give the same answers, headers included.
"""

import json
import logging
from http import HTTPStatus
from typing import NamedTuple

from django.conf import settings
from django.db import Error as DatabaseError
from django.db import close_old_connections
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from security import gateway, gateway_codes
from security.crypto import SecretUnreadable
from security.gateway_diagnosis import gateway_diagnosis, retired_secret_reference
from security.jwks_refresh import refresh_requests
from security.snapshots import snapshots
from security.tokens import JWT_UNKNOWN_KEY
from security.vocabulary import BELOW_MINIMUM
from workspaces.domains import MAX_ORIGIN_LENGTH

from .counting import buffer
from .limits import RETRY_AFTER_SECONDS, diagnosis_budget, limiter
from .ping_state import (  # noqa: F401  (origin_hosts, request_ids: tests reach them here)
    cached_origin_host,
    conf,
    days,
    origin_hosts,
    parsed_pings,
    request_ids,
    source_address,
)

log = logging.getLogger("verity.gateway")

PING_PATH = "/messenger/v1/ping"
COMMON_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "X-Request-ID, WWW-Authenticate, Retry-After"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
)
PREFLIGHT_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "POST, OPTIONS"),
    ("Access-Control-Allow-Headers", "Content-Type"),
    ("Access-Control-Max-Age", "86400"),
)
NO_ORIGIN = "(no origin)"
NO_BUNDLE = "(no app bundle)"
NOT_DIAGNOSED = {
    "code": "not_diagnosed",
    "message": "Not diagnosed: this workspace had more failed hashes this second than the "
    "gateway diagnoses. The hash checker diagnoses any hash on demand.",
}
_STATUS_LINES = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus}


class Reply(NamedTuple):
    status: int
    body: bytes
    headers: tuple = ()


_HEAD = (("Content-Type", "application/json"), *COMMON_HEADERS)
# The answer's JSON up to where the request id goes, per distinct answer (a handful of
# outcomes and codes, times the version policies): a bounded dict, emptied when full.
_PREFIXES = {}
_MAX_PREFIXES = 4096


def _splice(prefix, request_id):
    """The bytes json.dumps({**body, "request_id": request_id}) gives, from the prefix
    json.dumps(body) without its closing brace (the id is hex: nothing to escape)."""
    return f'{prefix}, "request_id": "{request_id}"}}'.encode()


def _prefix_of(body):
    return json.dumps(body)[:-1] if body else "{"


def _json(status, body, request_id, headers=()):
    return _reply(status, _prefix_of(body), request_id, headers)


def _reply(status, prefix, request_id, headers):
    data = (
        _splice(prefix, request_id)
        if prefix != "{"
        else b'{"request_id": "%s"}' % request_id.encode()
    )
    if conf.worker_header:
        headers = (*headers, ("X-Verity-Worker", str(request_ids.pid)))
    return Reply(status, data, (*_HEAD, ("X-Request-ID", request_id), *headers))


def _respond(decision, request_id):
    headers = tuple(decision.headers.items()) if decision.headers else ()
    if decision.outcome == gateway.BAD_REQUEST:  # per-field messages: not worth keeping
        return _reply(decision.status, _prefix_of(decision.body()), request_id, headers)
    key = (
        decision.outcome,
        decision.code,
        decision.message,
        decision.version_policy,
        decision.refused_under,
    )
    prefix = _PREFIXES.get(key)
    if prefix is None:
        if len(_PREFIXES) >= _MAX_PREFIXES:
            _PREFIXES.clear()
        prefix = _PREFIXES[key] = _prefix_of(decision.body())
    return _reply(decision.status, prefix, request_id, headers)


def _error(status, code, message, request_id, headers=()):
    return _json(status, {"error": code, "message": message}, request_id, headers)


def _rate_limited(request_id, what):
    return _error(
        429,
        "rate_limited",
        f"Too many requests from this {what}; retry after {RETRY_AFTER_SECONDS} s.",
        request_id,
        (("Retry-After", str(RETRY_AFTER_SECONDS)),),
    )


def installation_name(ping, host):
    if ping.platform == "web":
        return host or NO_ORIGIN
    return ping.app_bundle or NO_BUNDLE


def _diagnosis(ping, decision, config):
    """The checker's findings for an invalid_user_hash, within the per-second budget;
    never fails the request."""
    if decision.code != gateway.INVALID_USER_HASH:
        # Only a wrong hash spends the budget; a token's JWKS diagnosis is a lookup.
        return gateway_diagnosis(ping, decision, config) if config.jwks_sources else []
    budget = settings.VERITY_GATEWAY_DIAGNOSES_PER_SECOND
    if not budget or not diagnosis_budget.allow(config.workspace_id, budget):
        return [NOT_DIAGNOSED]
    try:
        return gateway_diagnosis(ping, decision, config)
    except (DatabaseError, SecretUnreadable) as exc:
        log.warning("no diagnosis for a failed ping: %s", type(exc).__name__)
        return []


def _old_secret(ping, decision, config):
    """The retired secret a wrong hash was made with, if any; never fails the request."""
    try:
        return retired_secret_reference(ping, decision, config)
    except (DatabaseError, SecretUnreadable) as exc:
        log.warning("no retired-secret check for a failed ping: %s", type(exc).__name__)
        return None


def _count(ping, decision, config, host, request_id, now):
    installation = installation_name(ping, host)
    # The fields of a CountKey, in its order: a tuple hashes far cheaper than the
    # dataclass, which the buffer builds once per distinct key at flush time.
    key = (
        config.workspace_id,
        ping.platform,
        installation,
        # Served only under the version policy: counted apart (one `is None` test).
        decision.outcome if decision.version_policy is None else BELOW_MINIMUM,
        decision.code or "",
        decision.proof or _old_secret(ping, decision, config) or "",
        ping.app_version or "",
        days.of(now),
    )
    failure = None
    if decision.code is not None:
        identifier_type = "user_id" if ping.user_id is not None else "email" if ping.email else ""
        failure = {
            "ts": now,
            "platform": ping.platform,
            "installation": installation,
            "identifier_type": identifier_type,
            "identifier": decision.identifier or "",
            "code": decision.code,
            "rejected": decision.status != 200,
            "app_version": ping.app_version or "",
            "diagnosis": _diagnosis(ping, decision, config),
            "request_id": request_id,
        }
    buffer.add(key, now, failure)


def _unavailable(request_id):
    return _error(
        503,
        "service_unavailable",
        "Verification is temporarily unavailable; retry shortly.",
        request_id,
        (("Retry-After", "5"),),
    )


def is_secure(meta):
    """Whether the request came over HTTPS, as Django's request.is_secure() decides."""
    header = conf.proxy_ssl_header
    if header and meta.get(header[0]) is not None:
        return meta.get(header[0]) == header[1]
    return meta.get("wsgi.url_scheme") == "https"


def handle(method, meta, read):
    """The gateway's answer to one request; ``meta`` is the WSGI environ (or
    request.META), ``read(n)`` reads at most n bytes of the body."""
    secure = is_secure(meta)
    reply = _handle(method, meta, read, secure)
    if secure and conf.hsts:  # HSTS on HTTPS answers, as Django's SecurityMiddleware
        return Reply(reply.status, reply.body, reply.headers + conf.hsts)
    return reply


TOO_LARGE = f"The body must be at most {gateway.MAX_BODY_BYTES} bytes."


def _handle(method, meta, read, secure):
    request_id = request_ids.next()
    if conf.ssl_redirect and not secure:
        # An API call is refused, not redirected: a redirected POST may be replayed
        # without its body, and the identity proof must not cross the network in clear.
        return _error(403, "https_required", "Call the gateway over https://.", request_id)
    if method == "OPTIONS":
        return Reply(204, b"", PREFLIGHT_HEADERS)
    if method != "POST":
        return _error(
            405, "method_not_allowed", "Use POST.", request_id, (("Allow", "POST, OPTIONS"),)
        )
    if not limiter.allow("s:" + source_address(meta), conf.source_limit):
        return _rate_limited(request_id, "address")

    try:
        declared = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > gateway.MAX_BODY_BYTES:
        return _error(413, "payload_too_large", TOO_LARGE, request_id)
    body = read(gateway.MAX_BODY_BYTES + 1)
    if len(body) > gateway.MAX_BODY_BYTES:
        return _error(413, "payload_too_large", TOO_LARGE, request_id)

    try:
        parsed = parsed_pings.parse(body)
    except gateway.BadPing as exc:
        return _respond(exc.decision(), request_id)
    origin = meta.get("HTTP_ORIGIN")
    if origin is not None and len(origin) > MAX_ORIGIN_LENGTH:
        return _respond(gateway.refused_input(gateway_codes.INVALID_ORIGIN), request_id)

    try:
        config = snapshots.get(parsed.app_id)
    except (DatabaseError, SecretUnreadable) as exc:
        log.error("gateway cannot read workspace settings: %s", type(exc).__name__)
        close_old_connections()  # a broken connection is replaced on the next poll
        return _unavailable(request_id)
    if config is None:
        return _respond(gateway.unknown_app(), request_id)
    if not limiter.allow(f"w:{config.workspace_id}", conf.workspace_limit):
        return _rate_limited(request_id, "workspace")

    host = cached_origin_host(origin)
    now = timezone.now()
    decision = gateway.decide(parsed, config, host, now)
    if decision.code == JWT_UNKNOWN_KEY and config.jwks_sources:
        refresh_requests.ask(config.jwks_sources)  # queued for a thread: never waits
    _count(parsed, decision, config, host, request_id, now.timestamp())
    return _respond(decision, request_id)


def _internal_error(exc):
    log.error("gateway failed on a request: %s", type(exc).__name__, exc_info=exc)
    request_id = request_ids.next()
    return _error(500, "internal_error", "The gateway failed; retry shortly.", request_id)


def _wsgi_body(environ):
    """Reads the body as PEP 3333 allows: up to CONTENT_LENGTH, or to the end when the
    server says the stream ends there (a chunked upload)."""
    stream = environ["wsgi.input"]
    try:
        declared = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0

    def read(limit):
        if declared > 0:
            return stream.read(min(declared, limit))
        if environ.get("wsgi.input_terminated"):
            return stream.read(limit)
        return b""

    return read


class GatewayRoute:
    """WSGI middleware: POST /messenger/v1/ping goes straight to ``handle``."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != PING_PATH:
            return self.application(environ, start_response)
        try:
            reply = handle(environ.get("REQUEST_METHOD", ""), environ, _wsgi_body(environ))
        except Exception as exc:  # one failed request must not take the worker down
            reply = _internal_error(exc)
        headers = [*reply.headers, ("Content-Length", str(len(reply.body)))]
        start_response(_STATUS_LINES[reply.status], headers)
        return [reply.body]


@csrf_exempt
def ping(request):
    """POST /messenger/v1/ping through Django (the test client; see the module doc)."""
    reply = handle(request.method, request.META, request.read)
    response = HttpResponse(reply.body, status=reply.status)
    for name, value in reply.headers:
        response[name] = value
    if not reply.body:
        del response["Content-Type"]
    return response
