from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from installcheck.messenger.views import messenger_js
from installcheck.ping import ping
from workspaces.api.errors import no_such_route

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
