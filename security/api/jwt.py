"""REST API of messenger JWT keys and the token debugger (SPEC §7)."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from workspaces.access import workspace_for
from workspaces.auth import client_ip

from .. import jwt_actions, ratelimit, reauth
from ..jwt_actions import KeyActionError

DEBUG_RATE_LIMIT = jwt_actions.DEBUG_RATE_LIMIT
DEBUG_RATE_WINDOW = jwt_actions.DEBUG_RATE_WINDOW
MAX_TOKEN_LENGTH = jwt_actions.MAX_TOKEN_LENGTH


class KeySerializer(serializers.Serializer):
    kid = serializers.CharField()
    state = serializers.ChoiceField(choices=["current", "grace", "expired", "revoked"])
    is_current = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField(allow_null=True)
    valid_until = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)


class RotateSerializer(serializers.Serializer):
    grace_hours = serializers.IntegerField(
        required=False, default=jwt_actions.DEFAULT_GRACE_HOURS, min_value=0, max_value=168
    )
    older_key = serializers.ChoiceField(choices=jwt_actions.OLDER_KEY_CHOICES, required=False)


class PasswordSerializer(serializers.Serializer):
    password = serializers.CharField()


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


ERROR = inline_serializer(
    "JwtError", {"error": serializers.CharField(), "message": serializers.CharField()}
)
DEBUG_RESULT = inline_serializer(
    "JwtDebugResult",
    {
        "header": serializers.DictField(allow_null=True),
        "payload": serializers.DictField(allow_null=True),
        "payload_trusted": serializers.BooleanField(),
        "valid": serializers.BooleanField(),
        "errors": serializers.ListField(child=serializers.DictField()),
        "times": serializers.DictField(),
        "key": serializers.DictField(allow_null=True),
        "gateway_code": serializers.CharField(allow_null=True),
    },
)


def _error(status, code, message, **extra):
    return Response({"error": code, "message": message, **extra}, status=status)


def _refused(exc):
    return _error(exc.status, exc.code, exc.message, **exc.extra)


def _ip(request):
    return client_ip(request)


def _body(request):
    return request.data if isinstance(request.data, dict) else {}


@extend_schema(responses=KeySerializer(many=True), summary="Messenger keys (no key material)")
@api_view(["GET"])
def key_list(request, app_id):
    workspace = workspace_for(request.user, app_id, need="view")
    now = timezone.now()
    rows = [jwt_actions.key_summary(k, now) for k in jwt_actions.workspace_keys(workspace)]
    return Response(KeySerializer(rows, many=True).data)


@extend_schema(
    request=RotateSerializer,
    responses={
        201: KeySerializer,
        400: ERROR,
        409: OpenApiResponse(ERROR, description="older_key_in_grace: say end_now or keep"),
    },
    summary="Rotate the messenger key (admin)",
)
@api_view(["POST"])
def key_rotate(request, app_id):
    workspace = workspace_for(request.user, app_id, need="admin")
    body = _body(request)
    try:
        grace_hours = jwt_actions.parse_grace_hours(body.get("grace_hours"))
        key = jwt_actions.rotate_messenger_key(
            workspace,
            grace_hours=grace_hours,
            older_key=body.get("older_key"),
            actor=request.user,
            ip=_ip(request),
        )
    except KeyActionError as exc:
        return _refused(exc)
    return Response(KeySerializer(jwt_actions.key_summary(key, timezone.now())).data, status=201)


@extend_schema(request=None, responses={200: KeySerializer, 404: ERROR, 409: ERROR})
@api_view(["POST"])
def key_revoke(request, app_id, kid):
    """Revoke a previous key at once (admin). The current key cannot be revoked."""
    workspace = workspace_for(request.user, app_id, need="admin")
    try:
        key = jwt_actions.revoke_messenger_key(workspace, kid, actor=request.user, ip=_ip(request))
    except KeyActionError as exc:
        return _refused(exc)
    return Response(KeySerializer(jwt_actions.key_summary(key, timezone.now())).data)


@extend_schema(
    request=PasswordSerializer,
    responses={
        200: inline_serializer(
            "RevealedKey", {"kid": serializers.CharField(), "key": serializers.CharField()}
        ),
        400: ERROR,
        403: ERROR,
        404: ERROR,
    },
    summary="Reveal a messenger key (admin, developer; password each time)",
)
@api_view(["POST"])
def key_reveal(request, app_id, kid):
    workspace = workspace_for(request.user, app_id, need="see_secrets")
    password = _body(request).get("password")
    if not isinstance(password, str) or not password:
        return _error(400, "password_required", "Send your password to reveal a key.")
    if not reauth.check_password(request, password):
        return _error(403, "wrong_password", "The password is not correct.")
    try:
        key = jwt_actions.reveal_messenger_key(workspace, kid, actor=request.user, ip=_ip(request))
    except KeyActionError as exc:
        return _refused(exc)
    response = Response({"kid": kid, "key": key})
    response["Cache-Control"] = "no-store"
    return response


@extend_schema(
    request=TokenSerializer,
    responses={200: DEBUG_RESULT, 400: ERROR, 429: ERROR},
    summary="Token debugger: decode and explain a messenger JWT",
)
@api_view(["POST"])
def jwt_debug(request, app_id):
    workspace = workspace_for(request.user, app_id, need="check")
    token = _body(request).get("token")
    if not isinstance(token, str) or not token.strip():
        return _error(400, "token_required", "Send the token to debug as a string in token.")
    if len(token) > MAX_TOKEN_LENGTH:
        return _error(400, "token_too_long", f"A token is at most {MAX_TOKEN_LENGTH} characters.")
    retry_after = ratelimit.hit("jwt-debug", request.user.pk, DEBUG_RATE_LIMIT, DEBUG_RATE_WINDOW)
    if retry_after:
        response = _error(
            429,
            "rate_limited",
            f"Too many tokens debugged; try again in {retry_after} s.",
            retry_after=retry_after,
        )
        response["Retry-After"] = str(retry_after)
        return response
    result = jwt_actions.debug_token(workspace, token, actor=request.user, ip=_ip(request))
    response = Response(result.as_dict())
    response["Cache-Control"] = "no-store"
    return response
