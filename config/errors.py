"""Error answers with DEBUG off: JSON for the API and the gateway, a friendly page elsewhere.

Never a stack trace: the exception goes to the log (``django.request``), the client gets a
code and a sentence. The 400, 404 and 500 pages are rendered without a request context,
since the 500 handler has none to give and a broken context processor must not break the
error page. The 403 and 405 pages happen to a signed-in user inside a working console, so
they keep the top bar and, for a member of the workspace in the URL, its navigation; if
that rendering fails, they fall back to the plain page.
"""

import logging

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.template import loader

from installcheck.ping import COMMON_HEADERS
from workspaces.access import Forbidden
from workspaces.models import Membership, Workspace
from workspaces.refusals import refusal_for

logger = logging.getLogger(__name__)

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


def _member_workspace(request):
    """The workspace in the URL if the signed-in user is a member of it (its navigation is
    then theirs to see), else None: an error page never tells an outsider a workspace exists."""
    match = getattr(request, "resolver_match", None)
    app_id = match.kwargs.get("app_id") if match is not None else None
    user = getattr(request, "user", None)
    if not app_id or user is None or not user.is_authenticated:
        return None
    workspace = Workspace.objects.filter(app_id=app_id).first()
    membership = (
        Membership.objects.filter(user=user, workspace_id=workspace.roster_id).first()
        if workspace is not None
        else None
    )
    if membership is None:
        return None
    workspace.role = membership.role
    return workspace


def _console_page(request, template, status, context):
    """An error page inside the console (top bar, navigation), or the plain one if that
    cannot be rendered."""
    try:
        full = {**context, "layout": "base.html", "workspace": _member_workspace(request)}
        return HttpResponse(loader.render_to_string(template, full, request), status=status)
    except Exception:
        logger.exception("The %s page could not be rendered with its request", status)
        return _page(template, status, context)


def _wants_json(request):
    return request.path_info.startswith(JSON_PREFIXES)


def bad_request(request, exception=None):
    return _json(request, 400) if _wants_json(request) else _page("400.html", 400)


def permission_denied(request, exception=None):
    if _wants_json(request):
        return _json(request, 403)
    # Only a message written for the user is shown (workspaces.access.Forbidden).
    message = str(exception) if isinstance(exception, Forbidden) else ""
    return _console_page(request, "403.html", 403, {"message": message})


def method_not_allowed(request, response):
    """The console's page for a 405 (a GET on a form's POST-only target, say): what
    happened and a way back, with the Allow header kept."""
    page = _console_page(request, "405.html", 405, {"allowed": response.get("Allow", "")})
    for name in ("Allow", "Cache-Control"):
        if name in response:
            page[name] = response[name]
    return page


def page_not_found(request, exception=None):
    return _json(request, 404) if _wants_json(request) else _page("404.html", 404)


def server_error(request):
    return _json(request, 500) if _wants_json(request) else _page("500.html", 500)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: an expired form in the console gets a way back, not jargon."""
    if _wants_json(request):
        return _json(request, 403, "csrf_failed", "CSRF verification failed; reload and try again.")
    return _page("403_csrf.html", 403)


class MethodNotAllowedPageMiddleware:
    """Django's 405 (``require_http_methods``) has an empty body: a blank page in a
    browser. Console paths get the friendly page instead; the API and gateway keep theirs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 405
            and not response.streaming
            and not response.content
            and not _wants_json(request)
        ):
            return method_not_allowed(request, response)
        return response


class NotFoundPageInDebugMiddleware:
    """With DEBUG on (``make run``) Django answers a 404 with its debug page, which lists
    every URL pattern: the console shows its own 404 page there too, as in production.
    Real exceptions keep Django's debug page. A view's own 404 answer (a refusal's page)
    is left alone: only a raised Http404 and a path no URL pattern matches are replaced."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and getattr(request, "resolver_match", None) is None
            and not _wants_json(request)
        ):
            # No URL pattern matched (the resolver never set resolver_match).
            return page_not_found(request)
        return response

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404) and not _wants_json(request):
            return page_not_found(request, exception)
        return None


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
