"""REST API of messenger JWT keys (SPEC §7)."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.decorators import api_view, schema
from rest_framework.response import Response

from workspaces.access import workspace_for
from workspaces.api.errors import error_responses
from workspaces.api.serializers import BodyRequiredSchema
from workspaces.auth import client_ip

from ..actions import jwks, jwt_keys
from .platforms import REVEAL_ERRORS, password_proof
from .serializers import (
    KeySerializer,
    RegisterKeySerializer,
    RevealedKeySerializer,
    RevealRequestSerializer,
    RotateSerializer,
)


def _key_data(key):
    return KeySerializer(jwt_keys.key_summary(key, timezone.now())).data


@extend_schema(
    methods=["GET"],
    responses={200: KeySerializer(many=True), **error_responses(403, 404)},
    summary="Messenger keys (no secret; public keys shown whole)",
)
@extend_schema(
    methods=["POST"],
    request={"application/json": RegisterKeySerializer},
    examples=[
        OpenApiExample(
            "Register an ES256 key",
            value={
                "algorithm": "ES256",
                "public_key": "-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----\n",
            },
            request_only=True,
        ),
        OpenApiExample(
            "Register a JWKS URL",
            value={"jwks_url": "https://auth.example.com/.well-known/jwks.json"},
            request_only=True,
        ),
    ],
    responses={
        201: KeySerializer,
        **error_responses(
            400,
            403,
            404,
            409,
            why={
                400: "private_key, wrong_key_type, rsa_key_too_small, invalid_public_key, "
                "jwks_url_not_https, invalid_jwks_url",
                409: "kid_taken, jwks_url_taken, too_many_jwks_urls",
            },
        ),
    },
    summary="Register a public key (ES256, EdDSA or RS256) or a JWKS URL (admin)",
)
@api_view(["GET", "POST"])
def key_list(request, app_id):
    if request.method == "POST":
        return _register(request, app_id)
    workspace = workspace_for(request.user, app_id, need="view")
    now = timezone.now()
    rows = [jwt_keys.key_summary(k, now) for k in jwt_keys.workspace_keys(workspace)]
    return Response(KeySerializer(rows, many=True).data)


def _register(request, app_id):
    workspace = workspace_for(request.user, app_id, need="admin")
    serializer = RegisterKeySerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    if "jwks_url" in serializer.validated_data:
        source = jwks.register_jwks_url(
            workspace,
            jwks_url=serializer.validated_data["jwks_url"],
            kid=serializer.validated_data.get("kid"),
            actor=request.user,
            ip=client_ip(request),
        )
        return Response(_key_data(source), status=201)
    key = jwt_keys.register_public_key(
        workspace,
        algorithm=serializer.validated_data["algorithm"],
        public_key=serializer.validated_data["public_key"],
        kid=serializer.validated_data.get("kid"),
        actor=request.user,
        ip=client_ip(request),
    )
    return Response(_key_data(key), status=201)


@extend_schema(
    request={"application/json": RotateSerializer},
    examples=[
        OpenApiExample(
            "Rotate", value={"grace_hours": 24, "older_key": "end_now"}, request_only=True
        )
    ],
    responses={
        201: KeySerializer,
        **error_responses(400, 403, 404, 409, why={409: "older_key_in_grace: say end_now or keep"}),
    },
    summary="Rotate the messenger key (admin)",
)
@api_view(["POST"])
def key_rotate(request, app_id):
    workspace = workspace_for(request.user, app_id, need="admin")
    serializer = RotateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    key = jwt_keys.rotate_messenger_key(
        workspace,
        grace_hours=serializer.validated_data.get("grace_hours"),
        older_key=serializer.validated_data.get("older_key"),
        actor=request.user,
        ip=client_ip(request),
    )
    return Response(_key_data(key), status=201)


@extend_schema(request=None, responses={200: KeySerializer, **error_responses(403, 404, 409)})
@api_view(["POST"])
def key_revoke(request, app_id, kid):
    """Revoke a previous key at once (admin). The current key cannot be revoked."""
    workspace = workspace_for(request.user, app_id, need="admin")
    key = jwt_keys.revoke_messenger_key(workspace, kid, actor=request.user, ip=client_ip(request))
    return Response(_key_data(key))


@extend_schema(
    request={"application/json": RevealRequestSerializer},
    responses={200: RevealedKeySerializer, **REVEAL_ERRORS, **error_responses(409)},
    summary="Reveal a messenger key (admin, developer; password each time)",
)
@api_view(["POST"])
@schema(BodyRequiredSchema())
def key_reveal(request, app_id, kid):
    workspace = workspace_for(request.user, app_id, need="see_secrets")
    key = jwt_keys.reveal_messenger_key(
        workspace, kid, actor=request.user, proof=password_proof(request), ip=client_ip(request)
    )
    return Response({"kid": kid, "key": key}, headers={"Cache-Control": "no-store"})
