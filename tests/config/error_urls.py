"""The real URLs plus views that fail, for the error-page tests (ROOT_URLCONF override)."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotFound
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as real_urlpatterns

INTERNAL_DETAIL = "internal detail 7f3a: do not show"


def boom(request):
    raise RuntimeError(INTERNAL_DETAIL)


def forbidden(request):
    raise PermissionDenied(INTERNAL_DETAIL)


def plain_post(request):
    """A plain Django view under /api/ that keeps CSRF protection."""
    return HttpResponse("ok")


def own_not_found(request):
    """A view that answers 404 with its own page (as a refusal's page does)."""
    return HttpResponseNotFound("this view's own answer")


class ApiBoom(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError(INTERNAL_DETAIL)


urlpatterns = [
    path("_test/boom/", boom),
    path("_test/forbidden/", forbidden),
    path("_test/own-404/", own_not_found),
    path("api/v1/_test/boom/", ApiBoom.as_view()),
    path("api/v1/_test/plain/", plain_post),
    path("messenger/v1/_test/boom", boom),
    *real_urlpatterns,
]
