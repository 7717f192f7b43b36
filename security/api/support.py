"""Rotation requests over the API: support staff run them, workspace admins request and
follow them. No response here ever carries a secret."""

from django.db.models import Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from workspaces.access import is_support, workspace_for
from workspaces.api.errors import Conflict, error_responses
from workspaces.api.query import text_param
from workspaces.auth import client_ip
from workspaces.models import Workspace

from .. import rotation
from ..models import OPEN_ROTATION_STATES, RotationRequest
from .support_serializers import (
    OpenRotationSerializer,
    RotationSerializer,
    SupportWorkspaceSerializer,
    rotation_data,
    support_workspace_data,
)


def _require_support(user):
    if not is_support(user):
        raise PermissionDenied("Only vendor support staff may do this.")


def _conflict(exc):
    return Conflict(exc.code, exc.message)


def _open(request, workspace, data):
    serializer = OpenRotationSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    values = {k: v for k, v in serializer.validated_data.items() if k != "app_id"}
    try:
        opened = rotation.open_request(
            workspace, actor=request.user, ip=client_ip(request), **values
        )
    except ValueError as exc:
        raise ValidationError({"non_field_errors": [str(exc)]}) from None
    except rotation.RotationConflict as exc:
        raise _conflict(exc) from None
    return Response(rotation_data(opened), status=status.HTTP_201_CREATED)


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
def support_rotations(request):
    """Support: every rotation request (``?state=open`` for the open ones), or open one."""
    _require_support(request.user)
    if request.method == "GET":
        rows = RotationRequest.objects.select_related("workspace").prefetch_related("steps")
        state = request.query_params.get("state")
        if state == "open":
            rows = rows.filter(state__in=OPEN_ROTATION_STATES)
        return Response([rotation_data(r) for r in rows[:200]])
    app_id = request.data.get("app_id") if isinstance(request.data, dict) else None
    if not isinstance(app_id, str) or not app_id:
        raise ValidationError({"app_id": ["This field is required."]})
    workspace = Workspace.objects.filter(app_id=app_id).first()
    if workspace is None:
        raise ValidationError({"app_id": ["No workspace has this app_id."]})
    return _open(request, workspace, request.data)


def _support_step(request, pk, action):
    _require_support(request.user)
    get_object_or_404(RotationRequest, pk=pk)
    try:
        changed = action(pk, actor=request.user, ip=client_ip(request))
    except rotation.RotationConflict as exc:
        raise _conflict(exc) from None
    return Response(rotation_data(changed))


@extend_schema(request=None, responses={200: RotationSerializer, **error_responses(403, 404, 409)})
@api_view(["POST"])
def support_rotate(request, pk):
    """Support issues the new secret (gap mode: only once enforcement is off)."""
    return _support_step(request, pk, rotation.rotate)


@extend_schema(request=None, responses={200: RotationSerializer, **error_responses(403, 404, 409)})
@api_view(["POST"])
def support_cancel(request, pk):
    """Support cancels a request that has not been rotated yet."""
    return _support_step(request, pk, rotation.cancel)


@extend_schema(
    parameters=[OpenApiParameter("q", str, description="Part of a name, or an app_id.")],
    responses={200: SupportWorkspaceSerializer(many=True), **error_responses(403)},
)
@api_view(["GET"])
def support_workspaces(request):
    """Find workspaces by name or app_id (settings and rotation state only)."""
    _require_support(request.user)
    query = text_param(request, "q", 100).strip()
    rows = Workspace.objects.all()
    if query:
        rows = rows.filter(Q(name__icontains=query) | Q(app_id=query.lower()))
    rows = rows.prefetch_related("platforms").order_by("name", "is_test")[:50]
    return Response([support_workspace_data(w) for w in rows])


@extend_schema(
    methods=["GET"],
    responses={200: RotationSerializer(many=True), **error_responses(403, 404)},
)
@extend_schema(
    methods=["POST"],
    request={"application/json": OpenRotationSerializer},
    examples=[
        OpenApiExample(
            "Rotate the iOS secret",
            value={"platform": "ios", "mode": "gap", "reason": "routine", "ticket": "SUP-1"},
            request_only=True,
        )
    ],
    responses={201: RotationSerializer, **error_responses(400, 403, 404, 409)},
)
@api_view(["GET", "POST"])
def workspace_rotations(request, app_id):
    """The workspace's rotation requests; admins may open one (support rotates it)."""
    need = "view" if request.method == "GET" else "admin"
    workspace = workspace_for(request.user, app_id, need=need)
    if request.method == "GET":
        rows = RotationRequest.objects.filter(workspace=workspace).prefetch_related("steps")
        return Response([rotation_data(r) for r in rows[:100]])
    return _open(request, workspace, request.data)


@extend_schema(request=None, responses={200: RotationSerializer, **error_responses(403, 404, 409)})
@api_view(["POST"])
def workspace_finish_overlap(request, app_id, pk):
    """The customer confirms the new secret is deployed; the old one stops at once."""
    workspace = workspace_for(request.user, app_id, need="admin")
    get_object_or_404(RotationRequest, pk=pk, workspace=workspace)
    try:
        finished = rotation.finish_overlap(pk, actor=request.user, ip=client_ip(request))
    except rotation.RotationConflict as exc:
        raise _conflict(exc) from None
    return Response(rotation_data(finished))
