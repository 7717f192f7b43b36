"""The messenger gateway endpoint: thin HTTP around security.gateway."""

import json
import logging
import secrets
import time

from django.db import Error as DatabaseError
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from security import gateway
from security.checker import gateway_diagnosis
from security.crypto import SecretUnreadable
from security.snapshots import snapshots
from workspaces.domains import origin_host

from .counting import CountKey, buffer

log = logging.getLogger("verity.gateway")

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "X-Request-ID, WWW-Authenticate",
}
PREFLIGHT_HEADERS = {
    **CORS_HEADERS,
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "86400",
}
NO_ORIGIN = "(no origin)"
NO_BUNDLE = "(no app bundle)"


def _json(status, body, request_id, headers=None):
    body = {**body, "request_id": request_id}
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    for name, value in CORS_HEADERS.items():
        response[name] = value
    response["X-Request-ID"] = request_id
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _respond(decision, request_id):
    return _json(decision.status, decision.body(), request_id, decision.headers)


def _error(status, code, message, request_id, headers=None):
    return _json(status, {"error": code, "message": message}, request_id, headers)


def installation_name(ping, host):
    if ping.platform == "web":
        return host or NO_ORIGIN
    return ping.app_bundle or NO_BUNDLE


def _diagnosis(ping, decision, config):
    """The checker's findings for an invalid_user_hash; never fails the request."""
    try:
        return gateway_diagnosis(ping, decision, config)
    except (DatabaseError, SecretUnreadable) as exc:
        log.warning("no diagnosis for a failed ping: %s", type(exc).__name__)
        return []


def _count(ping, decision, config, host, request_id, now):
    installation = installation_name(ping, host)
    key = CountKey(
        workspace_id=config.workspace_id,
        platform=ping.platform,
        installation=installation,
        outcome=decision.outcome,
        code=decision.code or "",
        proof=decision.proof or "",
        app_version=ping.app_version or "",
        day=time.strftime("%Y-%m-%d", time.gmtime(now)),
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


@csrf_exempt
def ping(request):
    """POST /messenger/v1/ping: decide whether a messenger request may proceed."""
    request_id = secrets.token_hex(8)
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
        for name, value in PREFLIGHT_HEADERS.items():
            response[name] = value
        return response
    if request.method != "POST":
        return _error(
            405, "method_not_allowed", "Use POST.", request_id, {"Allow": "POST, OPTIONS"}
        )

    too_large = f"The body must be at most {gateway.MAX_BODY_BYTES} bytes."
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > gateway.MAX_BODY_BYTES:
        return _error(413, "payload_too_large", too_large, request_id)
    body = request.read(gateway.MAX_BODY_BYTES + 1)
    if len(body) > gateway.MAX_BODY_BYTES:
        return _error(413, "payload_too_large", too_large, request_id)

    try:
        parsed = gateway.parse_ping(body)
    except gateway.BadPing as exc:
        return _respond(gateway.bad_request(exc.message, exc.fields), request_id)

    try:
        config = snapshots.get(parsed.app_id)
    except (DatabaseError, SecretUnreadable) as exc:
        log.error("gateway cannot read workspace settings: %s", type(exc).__name__)
        return _error(
            503,
            "service_unavailable",
            "Verification is temporarily unavailable; retry shortly.",
            request_id,
            {"Retry-After": "5"},
        )
    if config is None:
        return _respond(gateway.unknown_app(), request_id)

    host = origin_host(request.headers.get("Origin"))
    now = timezone.now()
    decision = gateway.decide(parsed, config, host, now)
    _count(parsed, decision, config, host, request_id, now.timestamp())
    return _respond(decision, request_id)
