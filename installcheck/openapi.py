"""The gateway in the OpenAPI schema (SPEC §7).

POST /messenger/v1/ping is not a DRF view (it answers before Django's request machinery,
see ``installcheck.ping``), so drf-spectacular cannot see it; ``config.schema.add_gateway``
adds this description. It is built from the tables the gateway itself parses and answers
with (``security.gateway``), so the two cannot drift apart; a fuzz test drives the real
WSGI route with requests generated from it (tests/installcheck/test_gateway_fuzz.py).
"""

from security import gateway, gateway_codes
from workspaces.domains import MAX_ORIGIN_LENGTH

from .limits import RETRY_AFTER_SECONDS
from .ping import PING_PATH

TAG = "gateway"
# Failures of a proof (or its absence): a warning while the platform does not enforce,
# a refusal once it does (SPEC §3).
PROOF_FAILURES = tuple(
    code
    for code in gateway.MESSAGES
    if code
    not in (
        gateway.UNTRUSTED_DOMAIN,
        gateway.UNKNOWN_APP,
        *gateway_codes.INPUT_ERRORS,
        *gateway_codes.POLICY_WARNINGS,
    )
)
FIELD_HELP = {
    "app_id": "The workspace's app_id, as shown in the console.",
    "platform": "Which messenger sends the ping.",
    "user_id": "The logged-in user's id. Leave out user_id and email for a visitor.",
    "email": "The logged-in user's email, when no user_id is sent.",
    "user_hash": "Hex HMAC-SHA256 of the user_id (or the email), keyed with the platform's "
    "identity verification secret.",
    "user_jwt": "A JWT carrying user_id: HS256 signed with a messenger key of the workspace, "
    "or ES256, EdDSA or RS256 signed with the private key of a registered public key.",
    "app_bundle": "iOS/Android: the app's bundle id (names the installation).",
    "app_version": "The app's or site's version, shown in the installation table; a platform "
    "may enforce from a minimum version (semantic versioning, 1 to 4 numeric components; a "
    "missing or unparsable version is enforced).",
}
_REQUEST_ID = {
    "description": "This answer's id, also in the body and in the verification log.",
    "required": True,
    "schema": {"type": "string"},
}


def _ping_schema():
    properties = {}
    for name, (max_length, required) in gateway.PING_FIELDS.items():
        prop = {
            "type": "string",
            "maxLength": max_length,
            # PostgreSQL text cannot hold NUL: a field with one is refused (400).
            "pattern": "^[^\\u0000]*$",
            "description": FIELD_HELP[name],
        }
        if required or name in gateway.NON_EMPTY_FIELDS:
            prop["minLength"] = 1
        properties[name] = prop
    properties["platform"]["enum"] = list(gateway.PLATFORMS)
    return {
        "type": "object",
        "required": [name for name, (_, required) in gateway.PING_FIELDS.items() if required],
        "properties": properties,
        "description": f"At most {gateway.MAX_BODY_BYTES} bytes in all. Unknown fields are "
        "ignored; a key repeated anywhere is refused (400 duplicate_key).",
    }


def _answer_schema():
    return {
        "type": "object",
        "required": ["identity", "request_id"],
        "properties": {
            "identity": {
                "type": "string",
                "enum": [gateway.VERIFIED, gateway.VISITOR, gateway.UNVERIFIED],
            },
            "warning": {
                "type": "string",
                "enum": list(PROOF_FAILURES),
                "description": "unverified only: why the proof failed. The platform does "
                "not enforce yet, so the request is served; once it enforces, the same "
                "request is refused with this code.",
            },
            "message": {"type": "string"},
            "policy_warning": {
                "type": "string",
                "enum": list(gateway_codes.POLICY_WARNINGS),
                "description": "unverified on an enforced platform only: the platform "
                "enforces from enforce_from_version on and this app_version is older, so "
                "the request is served until sunset_at. "
                + gateway.MESSAGES[gateway.APP_VERSION_BELOW_MINIMUM],
            },
            "policy_message": {"type": "string"},
            "enforce_from_version": {
                "type": "string",
                "description": "With policy_warning: the platform's minimum app version.",
            },
            "sunset_at": {
                "type": "string",
                "format": "date-time",
                "nullable": True,
                "description": "With policy_warning: when older versions are refused too "
                "(null: no date set).",
            },
            "request_id": {"type": "string"},
        },
    }


def _error_schema(codes, version_policy=False):
    schema = {
        "type": "object",
        "required": ["error", "message", "request_id"],
        "properties": {
            "error": {"type": "string", "enum": list(codes)},
            "message": {"type": "string", "description": "What went wrong and what to do."},
            "fields": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "bad_request only: the message for each invalid field.",
            },
            "request_id": {"type": "string"},
        },
    }
    if version_policy:
        schema["properties"].update(
            {
                "enforce_from_version": {
                    "type": "string",
                    "description": "A proof refused on a platform with a version policy: "
                    "its minimum app version. Versions from it on are enforced; older ones "
                    "are served with policy_warning until sunset_at.",
                },
                "sunset_at": {
                    "type": "string",
                    "format": "date-time",
                    "nullable": True,
                    "description": "With enforce_from_version: from when older versions "
                    "are refused too (null: no date set).",
                },
            }
        )
    return schema


def _json(schema, description, **headers):
    return {
        "description": description,
        "headers": {"X-Request-ID": _REQUEST_ID, **headers},
        "content": {"application/json": {"schema": schema}},
    }


def _header(description):
    return {"description": description, "required": True, "schema": {"type": "string"}}


def _retry_after(description):
    return _header(f"Seconds to wait ({description}).")


def operations():
    """The path item of the gateway: POST (the ping) and OPTIONS (the CORS preflight)."""
    refused_401 = [code for code in PROOF_FAILURES if code != gateway.MISSING_USER_HASH]
    responses = {
        "200": _json(
            _answer_schema(),
            "Served: verified (a valid proof), visitor (no identifier), or unverified "
            "(identified without a valid proof on a platform that does not enforce).",
        ),
        "400": _json(
            _error_schema([gateway.BAD_REQUEST, *gateway_codes.INPUT_ERRORS]),
            "bad_request: the body is not a valid ping (fields says why); duplicate_key: "
            "an object in the body repeats a key; invalid_origin: the Origin header is not "
            "a URL origin.",
        ),
        "401": _json(
            _error_schema(refused_401, version_policy=True),
            "Refused: the platform enforces and the proof is wrong.",
            **{"WWW-Authenticate": _header('Verity realm="messenger" and the error code.')},
        ),
        "403": _json(
            _error_schema(
                [gateway.MISSING_USER_HASH, gateway.UNTRUSTED_DOMAIN, "https_required"],
                version_policy=True,
            ),
            "Refused: no proof on an enforced platform, an origin outside the trusted "
            "domains (web), or plain HTTP where HTTPS is required.",
        ),
        "404": _json(_error_schema([gateway.UNKNOWN_APP]), "No workspace has this app_id."),
        "405": _json(
            _error_schema(["method_not_allowed"]),
            "Only POST (and OPTIONS).",
            Allow=_header("POST, OPTIONS"),
        ),
        "413": _json(
            _error_schema(["payload_too_large"]),
            f"The body is over {gateway.MAX_BODY_BYTES} bytes.",
        ),
        "429": _json(
            _error_schema(["rate_limited"]),
            "Too many requests from this address or for this workspace.",
            **{"Retry-After": _retry_after(f"{RETRY_AFTER_SECONDS}")},
        ),
        "503": _json(
            _error_schema(["service_unavailable"]),
            "The gateway cannot read the workspace's settings; never an accept.",
            **{"Retry-After": _retry_after("5")},
        ),
    }
    return {
        "post": {
            "operationId": "messenger_ping",
            "summary": "Verify a messenger request's identity",
            "description": "The messenger's gateway: every request of an embedded messenger "
            "passes here. The decision follows SPEC §3: parse, find the workspace, check the "
            "origin (web), then the proof (user_jwt first, else user_hash) against the "
            "platform's enforcement. No login: the proof is in the body.",
            "tags": [TAG],
            "security": [],
            "parameters": [
                {
                    "in": "header",
                    "name": "Origin",
                    "required": False,
                    "schema": {"type": "string", "maxLength": MAX_ORIGIN_LENGTH},
                    "description": "Sent by browsers; web pings are checked against the "
                    "workspace's trusted domains. A longer value is refused (400 "
                    "invalid_origin).",
                }
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ping_schema()}},
            },
            "responses": responses,
        },
        "options": {
            "operationId": "messenger_ping_preflight",
            "summary": "CORS preflight",
            "tags": [TAG],
            "security": [],
            "responses": {
                "204": {
                    "description": "Any origin may POST a JSON ping.",
                    "headers": {
                        "Access-Control-Allow-Methods": _header("POST, OPTIONS"),
                        "Access-Control-Allow-Origin": _header("*"),
                    },
                }
            },
        },
    }


def add_to(schema):
    """``schema`` (an OpenAPI document as a dict) with the gateway's path added."""
    schema.setdefault("paths", {})[PING_PATH] = operations()
    tags = schema.setdefault("tags", [])
    if not any(tag.get("name") == TAG for tag in tags):
        tags.append({"name": TAG, "description": "The messenger gateway (no login)."})
    return schema
