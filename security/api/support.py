"""Rotation requests over the API, support's side: find workspaces, open, rotate,
cancel. No response here ever carries a secret."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from workspaces.access import require_support
from workspaces.api.errors import error_responses
from workspaces.api.query import text_param
from workspaces.auth import client_ip
from workspaces.models import Workspace

from ..actions import secret_rotation
from ..models import RotationRequest
from ..queries import MAX_QUERY_LENGTH, find_workspaces, open_rotations
from .rotation_serializers import (
    OpenRotationSerializer,
    RotationSerializer,
    SupportWorkspaceSerializer,
    rotation_data,
    support_workspace_data,
)
from .rotations import open_rotation


@extend_schema(
    methods=["GET"],
    parameters=[OpenApiParameter("state", str, enum=["open"], description="Only open ones.")],
    responses={200: RotationSerializer(many=True), **error_responses(403)},
)
@extend_schema(
    methods=["POST"],
    request={"application/json": OpenRotationSerializer},
    responses={201: RotationSerializer, **error_responses(400, 403, 409)},
)
@api_view(["GET", "POST"])
def rotations(request):
    """Support: every rotation request (``?state=open`` for the open ones), or open one."""
    require_support(request.user)
    if request.method == "GET":
        if request.query_params.get("state") == "open":
            rows = open_rotations()
        else:
            rows = RotationRequest.objects.select_related("workspace")
        return Response([rotation_data(r) for r in rows.prefetch_related("steps")[:200]])
    app_id = request.data.get("app_id") if isinstance(request.data, dict) else None
    if not isinstance(app_id, str) or not app_id:
        raise ValidationError({"app_id": ["This field is required."]})
    workspace = Workspace.objects.filter(app_id=app_id).first()
    if workspace is None:
        raise ValidationError({"app_id": ["No workspace has this app_id."]})
    return open_rotation(request, workspace)


def _step(request, pk, action):
    require_support(request.user)
    get_object_or_404(RotationRequest, pk=pk)
    return Response(rotation_data(action(pk, actor=request.user, ip=client_ip(request))))


@extend_schema(request=None, responses={200: RotationSerializer, **error_responses(403, 404, 409)})
@api_view(["POST"])
def rotate(request, pk):
    """Support issues the new secret (gap mode: only once enforcement is off)."""
    return _step(request, pk, secret_rotation.rotate)


@extend_schema(request=None, responses={200: RotationSerializer, **error_responses(403, 404, 409)})
@api_view(["POST"])
def cancel(request, pk):
    """Support cancels a request that has not been rotated yet."""
    return _step(request, pk, secret_rotation.cancel)


@extend_schema(
    parameters=[OpenApiParameter("q", str, description="Part of a name, or an app_id.")],
    responses={200: SupportWorkspaceSerializer(many=True), **error_responses(403)},
)
@api_view(["GET"])
def workspaces(request):
    """Find workspaces by name or app_id (settings and rotation state only)."""
    require_support(request.user)
    query = text_param(request, "q", MAX_QUERY_LENGTH)
    return Response([support_workspace_data(w) for w in find_workspaces(query)])
