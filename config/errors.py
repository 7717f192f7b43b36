"""Error answers with DEBUG off: JSON for the API and the gateway, a friendly page elsewhere.

Never a stack trace: the exception goes to the log (``django.request``), the client gets a
code and a sentence. The console pages are rendered without a request context, since the
500 handler has none to give and a broken context processor must not break the error page.
"""

from django.http import HttpResponse, JsonResponse
from django.template import loader

from installcheck.ping import COMMON_HEADERS
from workspaces.refusals import refusal_for

JSON_PREFIXES = ("/api/", "/messenger/")
GATEWAY_PREFIX = "/messenger/"

_ERRORS = {
    400: ("bad_request", "The request could not be understood."),
    403: ("permission_denied", "You may not do this."),
    404: ("not_found", "Not found."),
    # The same code as the gateway's own answer when it fails (installcheck.ping).
    500: ("internal_error", "Something went wrong on our side; it has been logged."),
}


def _json(request, status, code=None, message=None):
    default_code, default_message = _ERRORS[status]
    response = JsonResponse(
        {"error": code or default_code, "message": message or default_message}, status=status
    )
    response["Cache-Control"] = "no-store"
    if request.path_info.startswith(GATEWAY_PREFIX):
        # The messenger reads the gateway's answers cross-origin, errors included.
        for name, value in COMMON_HEADERS:
            response[name] = value
    return response


def _page(template, status, context=None):
    return HttpResponse(loader.render_to_string(template, context), status=status)


def _wants_json(request):
    return request.path_info.startswith(JSON_PREFIXES)


def bad_request(request, exception=None):
    return _json(request, 400) if _wants_json(request) else _page("400.html", 400)


def permission_denied(request, exception=None):
    return _json(request, 403) if _wants_json(request) else _page("403.html", 403)


def page_not_found(request, exception=None):
    return _json(request, 404) if _wants_json(request) else _page("404.html", 404)


def server_error(request):
    return _json(request, 500) if _wants_json(request) else _page("500.html", 500)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: an expired form in the console gets a way back, not jargon."""
    if _wants_json(request):
        return _json(request, 403, "csrf_failed", "CSRF verification failed; reload and try again.")
    return _page("403_csrf.html", 403)


class RefusalMiddleware:
    """The last word on a refusal no view rendered itself: a service that is down (the
    database, Redis, the broker), a stored secret no master key opens, or an action's
    ``Refused`` that reached the top. JSON under /api/ and /messenger/, a page elsewhere,
    with the refusal's status and Retry-After: never a 500 and never a traceback. (DRF
    views render theirs in workspaces.api.errors; this catches the rest.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        refusal = refusal_for(exception)
        if refusal is None:
            return None
        if _wants_json(request):
            response = _json(request, 500, refusal.code, refusal.message)
            response.status_code = refusal.status
        else:
            context = {"status": refusal.status, "code": refusal.code, "message": refusal.message}
            response = _page("refused.html", refusal.status, context)
        for name, value in refusal.headers().items():
            response[name] = value
        return response
