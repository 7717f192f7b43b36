"""API errors as JSON with a stable ``error`` code, never an HTML page."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler

from ..refusals import rate_limited, refusal_for

_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.ParseError: "bad_request",
    exceptions.ValidationError: "validation_error",
}


@csrf_exempt
def no_such_route(request, *args, **kwargs):
    """Any path under /api/ that no route matches: a JSON 404, not the HTML page."""
    return JsonResponse({"error": "not_found", "message": "Not found."}, status=404)


def _json(request, response):
    if request is not None:
        # An error is JSON even where the route also renders HTML (the job's htmx partial),
        # whose template expects the object the error is about.
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    return response


def json_exception_handler(exc, context):
    request = context.get("request")
    if isinstance(exc, exceptions.Throttled):
        exc = rate_limited(int(exc.wait or 1))
    refusal = refusal_for(exc)
    if refusal is not None:
        response = Response(refusal.as_json(), status=refusal.status, headers=refusal.headers())
        return _json(request, response)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or "You may not do this.")
    response = exception_handler(exc, context)
    if response is None:
        return None
    _json(request, response)
    code = next((c for cls, c in _CODES.items() if isinstance(exc, cls)), "error")
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "error": code,
            "message": "Some fields are invalid.",
            "fields": exc.detail
            if isinstance(exc.detail, dict)
            else {"non_field_errors": exc.detail},
        }
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        response.data = {"error": code, "message": str(detail)}
    return response


# ---- how the schema describes these errors --------------------------------------------------

ERROR = inline_serializer(
    "Error",
    {
        "error": serializers.CharField(help_text="A stable code, e.g. not_found."),
        "message": serializers.CharField(),
        "fields": serializers.DictField(
            required=False, help_text="400 only: the messages by field."
        ),
        "retry_after": serializers.IntegerField(
            required=False, help_text="429 and 503: seconds to wait, as in Retry-After."
        ),
    },
)
_WHY = {
    400: "validation_error (with fields) or another bad-request code",
    401: "not_authenticated or authentication_failed: no valid session or token "
    "(WWW-Authenticate: Token)",
    403: "permission_denied: the role may not, or a session call without its CSRF token",
    404: "not_found: not a workspace of the caller's, or no such object in it",
    409: "the current state forbids it (a code that says which)",
    429: "rate_limited; see Retry-After",
    503: "service_unavailable (see Retry-After) or secret_unreadable",
}


def error_responses(*codes, why=None):
    """The schema's responses for these error statuses, all shaped as ``ERROR``; ``why``
    replaces the usual description of some of them. Every API route needs a login: 401
    is always among them."""
    why = {**_WHY, **(why or {})}
    codes = dict.fromkeys((401, *codes))
    return {code: OpenApiResponse(ERROR, description=why[code]) for code in codes}
