"""Pages of long lists (``?limit=&offset=``), and how the schema describes them."""

from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination

MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000_000


def _whole_number(request, name, default, minimum, maximum):
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not minimum <= int(raw) <= maximum:
        raise ValidationError({name: [f"A whole number from {minimum} to {maximum}."]})
    return int(raw)


class Pagination(LimitOffsetPagination):
    """DRF's limit/offset pages, refusing a bad ``limit`` or ``offset`` with a 400 instead
    of quietly using the default."""

    max_limit = MAX_LIMIT

    def get_limit(self, request):
        return _whole_number(request, self.limit_query_param, self.default_limit, 1, MAX_LIMIT)

    def get_offset(self, request):
        return _whole_number(request, self.offset_query_param, 0, 0, MAX_OFFSET)


def paginate(request, rows, serializer_class):
    paginator = Pagination()
    page = paginator.paginate_queryset(rows, request)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


PAGE_PARAMETERS = [
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        description="Rows per page (default 50).",
    ),
    OpenApiParameter(
        "offset",
        {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
        description="Rows to skip (default 0).",
    ),
]


def paginated(name, serializer):
    """The schema of a page of ``serializer`` rows."""
    return inline_serializer(
        name,
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer(many=True),
        },
    )
