from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path, re_path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from installcheck.messenger.views import messenger_js
from installcheck.ping import ping
from workspaces.api.errors import no_such_route


def admin_login(request, extra_context=None):
    """The Django admin's login form would let staff in with the password alone: it
    sends to the console's login (password, then the second factor) and back."""
    next_url = request.GET.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("admin:index")
    if not request.user.is_authenticated:
        return redirect_to_login(next_url, reverse("workspaces:login"))
    if not admin.site.has_permission(request):
        raise PermissionDenied("The admin is for staff accounts.")
    return redirect(next_url)


admin.site.login = admin_login

# Each app has one console URL module and one API URL module, each with its namespace
# (``security:overview``, ``security-api:platform-list``, ...).
urlpatterns = [
    path("messenger/v1/ping", ping, name="messenger-ping"),
    path("messenger/v1/messenger.js", messenger_js, name="messenger-js"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file (?script): no inline script (CSP).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api_docs.html"),
        name="api-docs",
    ),
    path("api/v1/", include("workspaces.api.urls")),
    path("api/v1/", include("security.api.urls")),
    path("api/v1/", include("installcheck.api.urls")),
    re_path(r"^api/", no_such_route),
    path("admin/", admin.site.urls),
    # Pages without a <link rel="icon"> (the Django admin) still ask for /favicon.ico.
    path("favicon.ico", RedirectView.as_view(url=static("verity/favicon.svg"), permanent=True)),
    path("", include("workspaces.urls")),
    path("", include("security.urls")),
    path("", include("installcheck.urls")),
]

# Errors with DEBUG off (config/errors.py): JSON under /api/ and /messenger/, pages elsewhere.
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
