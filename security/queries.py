"""Read-only queries that more than one page or route needs."""

from django.db.models import Q

from workspaces.models import Workspace

from .models import RotationRequest
from .vocabulary import OPEN_ROTATION_STATES

MAX_QUERY_LENGTH = 100
MAX_RESULTS = 50


def find_workspaces(query):
    """Workspaces whose name contains ``query`` or whose app_id is ``query`` (support);
    the first ones by name when ``query`` is blank."""
    query = (query or "").strip()[:MAX_QUERY_LENGTH]
    rows = Workspace.objects.all()
    if query:
        rows = rows.filter(Q(name__icontains=query) | Q(app_id=query.lower()))
    return rows.prefetch_related("platforms").order_by("name", "is_test")[:MAX_RESULTS]


def open_rotations():
    return RotationRequest.objects.filter(state__in=OPEN_ROTATION_STATES).select_related(
        "workspace"
    )
