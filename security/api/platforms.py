"""Platforms API: flags, readiness, and revealing a secret (SPEC §7)."""

from django.db import transaction
from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.decorators import api_view, schema
from rest_framework.response import Response

from workspaces.access import workspace_for
from workspaces.api.errors import Conflict, error_responses
from workspaces.api.serializers import BodyRequiredSchema
from workspaces.auth import client_ip

from .. import actions, reauth
from ..cards import platform_cards
from ..confirmations import confirmation_needed
from ..models import IdentitySecret, Platform, PlatformSettings, SecretState
from ..rotation import RotationConflict
from .serializers import (
    PlatformPatchSerializer,
    PlatformSerializer,
    RevealRequestSerializer,
    RevealResponseSerializer,
)

PLATFORM = OpenApiParameter("platform", str, OpenApiParameter.PATH, enum=Platform.values)


def _platform(platform):
    if platform not in Platform.values:
        raise Http404("No such platform.")
    return platform


def _row(workspace, card):
    settings = card["settings"]
    return {
        "platform": card["platform"],
        "enforced": settings.enforced,
        "hmac_allowed": settings.hmac_allowed,
        "secret_version": card["secret_version"],
        "secret_masked": card["masked"],
        "changed_at": settings.changed_at,
        "readiness": settings.readiness,
    }


@extend_schema(responses={200: PlatformSerializer(many=True), **error_responses(403, 404)})
@api_view(["GET"])
def platform_list(request, app_id):
    """Each platform's enforcement and HMAC flags, secret version and readiness."""
    workspace = workspace_for(request.user, app_id, need="view")
    rows = [_row(workspace, card) for card in platform_cards(workspace)]
    return Response(PlatformSerializer(rows, many=True).data)


@extend_schema(
    parameters=[PLATFORM],
    request={"application/json": PlatformPatchSerializer},
    examples=[
        OpenApiExample("Enforce", value={"enforced": True, "confirm": True}, request_only=True),
        OpenApiExample("Stop HMAC", value={"hmac_allowed": False}, request_only=True),
    ],
    responses={
        200: PlatformSerializer,
        **error_responses(
            400,
            403,
            404,
            409,
            why={409: "confirmation_required (with the figures) or a rotation conflict"},
        ),
    },
)
@api_view(["PATCH"])
@schema(BodyRequiredSchema())
def platform_update(request, app_id, platform):
    """Change enforced and/or hmac_allowed. A change the console would confirm answers 409
    ``confirmation_required`` with the figures unless ``"confirm": true`` is sent."""
    workspace = workspace_for(request.user, app_id, need="admin")
    _platform(platform)
    serializer = PlatformPatchSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    label = Platform(platform).label
    ip = client_ip(request)
    with transaction.atomic():
        row = PlatformSettings.objects.select_for_update().get(
            workspace=workspace, platform=platform
        )
        changes = [(flag, data[flag]) for flag in ("hmac_allowed", "enforced") if flag in data]
        if not data["confirm"]:
            for flag, value in changes:
                needed = confirmation_needed(label, flag, getattr(row, flag), value, row.readiness)
                if needed:
                    extra = {k: v for k, v in needed.items() if k not in ("message",)}
                    extra["reason"] = extra.pop("code")
                    raise Conflict("confirmation_required", needed["message"], **extra)
        setters = {"enforced": actions.set_enforcement, "hmac_allowed": actions.set_hmac_allowed}
        try:
            for flag, value in changes:
                setters[flag](workspace, platform, value, actor=request.user, ip=ip)
        except RotationConflict as exc:
            raise Conflict(exc.code, exc.message) from None
    card = next(c for c in platform_cards(workspace) if c["platform"] == platform)
    return Response(PlatformSerializer(_row(workspace, card)).data)


@extend_schema(
    parameters=[PLATFORM],
    request={"application/json": RevealRequestSerializer},
    responses={
        200: RevealResponseSerializer,
        **error_responses(
            400, 403, 404, 429, why={403: "reauthentication_failed, or the role may not"}
        ),
    },
)
@api_view(["POST"])
def secret_reveal(request, app_id, platform):
    """The platform's current secret, after re-entering the password. Audited."""
    workspace = workspace_for(request.user, app_id, need="see_secrets")
    _platform(platform)
    retry_after = reauth.attempt_wait(request.user)
    if retry_after:
        raise exceptions.Throttled(wait=retry_after)
    serializer = RevealRequestSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    if not reauth.check_password(request, serializer.validated_data["password"]):
        return Response(
            {"error": "reauthentication_failed", "message": "The password is wrong."},
            status=403,
        )
    secret = actions.reveal_secret(workspace, platform, actor=request.user, ip=client_ip(request))
    version = IdentitySecret.objects.values_list("version", flat=True).get(
        workspace=workspace, platform=platform, state=SecretState.CURRENT
    )
    response = Response({"secret": secret, "version": version})
    response["Cache-Control"] = "no-store"
    return response
