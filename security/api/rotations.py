"""Rotation requests from the customer's side: the workspace's admins request one and
confirm the new secret is deployed; every member may follow them. No secret here."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.response import Response

from workspaces.access import workspace_for
from workspaces.api.errors import error_responses
from workspaces.auth import client_ip

from ..actions import secret_rotation
from ..models import RotationRequest
from .rotation_serializers import (
    FinishOverlapSerializer,
    OpenRotationSerializer,
    RotationSerializer,
    rotation_data,
)


def open_rotation(request, workspace):
    """Both routes that open a request: validate the body, call the action."""
    serializer = OpenRotationSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    values = {k: v for k, v in serializer.validated_data.items() if k != "app_id"}
    opened = secret_rotation.open_request(
        workspace, actor=request.user, ip=client_ip(request), **values
    )
    return Response(rotation_data(opened), status=status.HTTP_201_CREATED)


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
    return open_rotation(request, workspace)


def _customer_step(request, app_id, pk, action, body=None):
    """Who may act first, then the body (``body``: its serializer), then the action."""
    workspace = workspace_for(request.user, app_id, need="admin")
    get_object_or_404(RotationRequest, pk=pk, workspace=workspace)
    options = {}
    if body is not None:
        serializer = body(data=request.data)
        serializer.is_valid(raise_exception=True)
        options = serializer.validated_data
    done = action(pk, actor=request.user, ip=client_ip(request), **options)
    return Response(rotation_data(done))


@extend_schema(request=None, responses={200: RotationSerializer, **error_responses(403, 404, 409)})
@api_view(["POST"])
def accept_overlap(request, app_id, pk):
    """The customer's admin lets support rotate while enforcement stays on (overlap)."""
    return _customer_step(request, app_id, pk, secret_rotation.accept)


@extend_schema(
    request={"application/json": FinishOverlapSerializer},
    responses={200: RotationSerializer, **error_responses(400, 403, 404, 409)},
)
@api_view(["POST"])
def finish_overlap(request, app_id, pk):
    """The customer confirms the new secret is deployed; the old one stops at once. Until
    the new secret has verified a request, only with ``{"override": true}`` (otherwise 409
    ``new_secret_unused``)."""
    return _customer_step(
        request, app_id, pk, secret_rotation.finish_overlap, body=FinishOverlapSerializer
    )
