"""The numbers behind the trends page's charts (installcheck.trends), for API clients."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.response import Response

from security.vocabulary import PLATFORMS
from workspaces.access import workspace_for
from workspaces.api.errors import error_responses

from .. import trends
from .serializers import TrendsSerializer

PLATFORM = OpenApiParameter("platform", str, OpenApiParameter.PATH, enum=list(PLATFORMS))


def _bucket(bucket):
    return {
        "verified": bucket.verified,
        "missing": bucket.missing,
        "invalid": bucket.invalid,
        "identified": bucket.identified,
        "share": bucket.share,
    }


def trend_data(workspace, platform, today=None):
    """What the page charts, as plain values."""
    days = trends.daily(workspace.pk, platform, today)
    data = {
        "platform": platform,
        "window_days": len(days),
        "days": [{"day": b.label, **_bucket(b)} for b in days],
        "versions": None,
        "other_versions": None,
        "rotation": None,
    }
    if platform in trends.MOBILE:
        versions = trends.by_version(workspace.pk, platform, today)
        data["versions"] = [{"app_version": b.label, **_bucket(b)} for b in versions.top]
        if versions.other is not None:
            data["other_versions"] = {"versions": versions.other_count, **_bucket(versions.other)}
    switch = trends.secret_switch(workspace.pk, platform, today)
    if switch is not None:
        data["rotation"] = {
            "rotation_id": switch.rotation.pk,
            "rotated_at": switch.rotated_at,
            "old": switch.old_reference,
            "new": switch.new_reference,
            "days": [
                {"day": day, "old": old, "old_failed": failed, "new": new}
                for day, old, failed, new in zip(
                    switch.days, switch.old, switch.old_failed, switch.new, strict=True
                )
            ],
        }
    return data


@extend_schema(
    parameters=[PLATFORM], responses={200: TrendsSerializer, **error_responses(403, 404)}
)
@api_view(["GET"])
def platform_trends(request, app_id, platform):
    """Thirty days of the platform's identified requests per day (verified, missing and
    invalid proof, and the share with valid proof), per app version on iOS and Android,
    and the old secret against the new one since a rotation: the trends page's numbers."""
    workspace = workspace_for(request.user, app_id, "view")
    return Response(TrendsSerializer(trend_data(workspace, platform)).data)
