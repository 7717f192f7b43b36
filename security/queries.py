"""Read-only queries that more than one page or route needs."""

from django.db.models import Q

from workspaces.models import Workspace

from .confirmations import rotation_figures
from .models import IdentitySecret, RotationRequest
from .vocabulary import OPEN_ROTATION_STATES, ROTATED_STATES, hmac_reference

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


def since_rotation(workspace, platform=None):
    """{platform: rotation_figures} for the workspace's rotated, open rotations (one per
    platform at most), from the rotation on: what readiness counts after a rotation."""
    requests = RotationRequest.objects.filter(workspace=workspace, state__in=ROTATED_STATES)
    if platform is not None:
        requests = requests.filter(platform=platform)
    requests = list(requests.prefetch_related("traffic"))
    if not requests:
        return {}
    retired = IdentitySecret.objects.filter(
        workspace=workspace, retired_at__isnull=False, platform__in={r.platform for r in requests}
    ).values_list("platform", "version", "retired_at")
    rotated_at = {(platform, version): when for platform, version, when in retired}
    figures = {}
    for request in requests:
        old = hmac_reference(request.platform, request.old_version)
        new = hmac_reference(request.platform, request.new_version)
        traffic = [(t.outcome, t.proof, t.count) for t in request.traffic.all()]
        figures[request.platform] = {
            **rotation_figures(
                traffic,
                old_reference=old,
                new_reference=new,
                since=rotated_at.get((request.platform, request.old_version)),
            ),
            "mode": request.mode,
        }
    return figures
