"""REST API of messenger JWT keys and the token debugger (SPEC §7)."""

from django.core.validators import RegexValidator
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.exceptions import ParseError, Throttled
from rest_framework.response import Response

from workspaces.access import workspace_for
from workspaces.api.errors import error_responses
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
    # null (or absent) means the default, as in the console's form.
    grace_hours = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=jwt_actions.DEFAULT_GRACE_HOURS,
        min_value=0,
        max_value=jwt_actions.MAX_GRACE_HOURS,
    )
    older_key = serializers.ChoiceField(
        choices=jwt_actions.OLDER_KEY_CHOICES, required=False, allow_null=True
    )


class PasswordSerializer(serializers.Serializer):
    password = serializers.CharField(min_length=1, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    # What jwt_debug accepts: some non-blank text, at most the gateway's body limit.
    token = serializers.CharField(
        max_length=MAX_TOKEN_LENGTH,
        trim_whitespace=False,
        validators=[RegexValidator(r"\S", "The token is blank.")],
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
    if not isinstance(request.data, dict):
        raise ParseError("Send a JSON object.")
    return request.data


@extend_schema(
    responses={200: KeySerializer(many=True), **error_responses(403, 404)},
    summary="Messenger keys (no key material)",
)
@api_view(["GET"])
def key_list(request, app_id):
    workspace = workspace_for(request.user, app_id, need="view")
    now = timezone.now()
    rows = [jwt_actions.key_summary(k, now) for k in jwt_actions.workspace_keys(workspace)]
    return Response(KeySerializer(rows, many=True).data)


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


@extend_schema(request=None, responses={200: KeySerializer, **error_responses(403, 404, 409)})
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
    request={"application/json": PasswordSerializer},
    responses={
        200: inline_serializer(
            "RevealedKey", {"kid": serializers.CharField(), "key": serializers.CharField()}
        ),
        **error_responses(
            400,
            403,
            404,
            409,
            429,
            why={
                403: "wrong_password, or the role may not",
                409: "key_revoked",
                429: "rate_limited: too many password attempts; see Retry-After",
            },
        ),
    },
    summary="Reveal a messenger key (admin, developer; password each time)",
)
@api_view(["POST"])
def key_reveal(request, app_id, kid):
    workspace = workspace_for(request.user, app_id, need="see_secrets")
    password = _body(request).get("password")
    if not isinstance(password, str) or not password:
        return _error(400, "password_required", "Send your password to reveal a key.")
    retry_after = reauth.attempt_wait(request.user)
    if retry_after:
        raise Throttled(wait=retry_after)
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
    request={"application/json": TokenSerializer},
    responses={200: DEBUG_RESULT, **error_responses(400, 403, 404, 429)},
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
