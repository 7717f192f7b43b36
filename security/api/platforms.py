"""Platforms API: flags, the app-version policy, readiness, and revealing a secret (SPEC §7)."""

from django.db import transaction
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.decorators import api_view, schema
from rest_framework.response import Response

from workspaces.access import workspace_for
from workspaces.api.errors import error_responses
from workspaces.api.serializers import BodyRequiredSchema
from workspaces.auth import client_ip

from ..actions.platforms import change_platform
from ..actions.secrets import reveal_secret
from ..display import platform_cards
from ..reauth import Proof
from ..vocabulary import PLATFORMS
from .serializers import (
    PlatformPatchSerializer,
    PlatformSerializer,
    RevealedSecretSerializer,
    RevealRequestSerializer,
    platform_data,
)

PLATFORM = OpenApiParameter("platform", str, OpenApiParameter.PATH, enum=list(PLATFORMS))
REVEAL_ERRORS = error_responses(
    400,
    403,
    404,
    429,
    503,
    why={
        400: "password_required, or second_factor_required (the user has two-factor: "
        "send code instead of password)",
        403: "wrong_password, wrong_code, no_second_factor (a code from a user without "
        "two-factor), two_factor_required, or the role may not",
        429: "rate_limited: too many password attempts; see Retry-After",
    },
)


def password_proof(request):
    """The API's proof: the password sent with this request, or once the user has a
    second factor the ``code`` (TOTP or recovery code). The action judges it (the object
    first: an unknown key is a 404 whatever the proof)."""
    body = request.data if isinstance(request.data, dict) else {}
    return Proof(password=body.get("password"), code=body.get("code"))


@extend_schema(responses={200: PlatformSerializer(many=True), **error_responses(403, 404)})
@api_view(["GET"])
def platform_list(request, app_id):
    """Each platform's enforcement and HMAC flags, secret version and readiness."""
    workspace = workspace_for(request.user, app_id, need="view")
    return Response([platform_data(card) for card in platform_cards(workspace)])


@extend_schema(
    parameters=[PLATFORM],
    request={"application/json": PlatformPatchSerializer},
    examples=[
        OpenApiExample("Enforce", value={"enforced": True, "confirm": True}, request_only=True),
        OpenApiExample("Stop HMAC", value={"hmac_allowed": False}, request_only=True),
        OpenApiExample(
            "Enforce from an app version",
            value={"enforce_from_version": "5.2.0", "sunset_at": "2027-03-01T00:00:00Z"},
            request_only=True,
        ),
    ],
    responses={
        200: PlatformSerializer,
        **error_responses(
            400,
            403,
            404,
            409,
            503,
            why={
                409: "confirmation_required (with the figures), a rotation conflict, or "
                "sunset_without_minimum (a sunset_at and no enforce_from_version, sent or "
                "stored)"
            },
        ),
    },
)
@api_view(["PATCH"])
@schema(BodyRequiredSchema())
def platform_update(request, app_id, platform):
    """Change enforced, hmac_allowed and/or the app-version policy (enforce_from_version,
    sunset_at; null clears). A change the console would confirm answers 409
    ``confirmation_required`` with the figures unless ``"confirm": true`` is sent."""
    workspace = workspace_for(request.user, app_id, need="admin")
    serializer = PlatformPatchSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    # The answer is built inside the transaction: if building it fails, the change rolls
    # back, so an error never misreports a change that was made.
    with transaction.atomic():
        change_platform(
            workspace,
            platform,
            data,
            confirm=data["confirm"],
            actor=request.user,
            ip=client_ip(request),
        )
        card = next(c for c in platform_cards(workspace) if c["platform"] == platform)
        body = platform_data(card)
    return Response(body)


@extend_schema(
    parameters=[PLATFORM],
    request={"application/json": RevealRequestSerializer},
    responses={200: RevealedSecretSerializer, **REVEAL_ERRORS},
)
@api_view(["POST"])
@schema(BodyRequiredSchema())
def secret_reveal(request, app_id, platform):
    """The platform's current secret, after re-entering the password. Audited."""
    workspace = workspace_for(request.user, app_id, need="see_secrets")
    version, secret = reveal_secret(
        workspace,
        platform,
        actor=request.user,
        proof=password_proof(request),
        ip=client_ip(request),
    )
    return Response({"secret": secret, "version": version}, headers={"Cache-Control": "no-store"})
