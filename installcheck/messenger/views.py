"""GET /messenger/v1/messenger.js: the client file, cacheable and loadable cross-origin."""

from django.http import HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_safe

from . import source, version

# A versioned URL (?v=<content hash>) never changes: cache it for a year. The bare URL is
# revalidated every few minutes, so a page without ?v= picks up a new file soon.
VERSIONED_CACHE = "public, max-age=31536000, immutable"
UNVERSIONED_CACHE = "public, max-age=300"


@require_safe
def messenger_js(request):
    etag = f'"{version()}"'
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(source(), content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    versioned = request.GET.get("v") == version()
    response["Cache-Control"] = VERSIONED_CACHE if versioned else UNVERSIONED_CACHE
    # Customer pages load it with integrity= and crossorigin="anonymous": SRI on a
    # cross-origin script needs CORS, and a COEP page needs the resource policy.
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
