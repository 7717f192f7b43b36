"""REST API of the developer tools: the hash checker and the token debugger (SPEC §7)."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.decorators import api_view
from rest_framework.response import Response

from workspaces.access import workspace_for
from workspaces.api.errors import error_responses
from workspaces.auth import client_ip

from ..actions.tools import check_hash, debug_token
from .serializers import DEBUG_RESULT, HASH_CHECK_RESULT, HashCheckSerializer, TokenSerializer


@extend_schema(
    operation_id="hash_check",
    summary="Check a user_hash and diagnose a mismatch",
    request={"application/json": HashCheckSerializer},
    examples=[
        OpenApiExample(
            "A user_id and its hash",
            value={"platform": "web", "user_id": "42", "user_hash": "0" * 64},
            request_only=True,
        )
    ],
    responses={200: HASH_CHECK_RESULT, **error_responses(400, 403, 404, 429, 503)},
)
@api_view(["POST"])
def hash_check(request, app_id):
    workspace = workspace_for(request.user, app_id, need="check")
    serializer = HashCheckSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    result = check_hash(
        workspace,
        request.user,
        platform=data["platform"],
        user_id=data.get("user_id"),
        email=data.get("email"),
        user_hash=data.get("user_hash"),
        ip=client_ip(request),
    )
    return Response(result.as_dict())


@extend_schema(
    request={"application/json": TokenSerializer},
    responses={200: DEBUG_RESULT, **error_responses(400, 403, 404, 429, 503)},
    summary="Token debugger: decode and explain a messenger JWT",
)
@api_view(["POST"])
def jwt_debug(request, app_id):
    workspace = workspace_for(request.user, app_id, need="check")
    serializer = TokenSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    result = debug_token(
        workspace, serializer.validated_data["token"], actor=request.user, ip=client_ip(request)
    )
    return Response(result.as_dict(), headers={"Cache-Control": "no-store"})
