"""REST API of the hash checker: POST /api/v1/workspaces/{app_id}/hash-check (SPEC §7)."""

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from workspaces.access import workspace_for
from workspaces.api.errors import error_responses
from workspaces.api.serializers import TextField, schema_any_of
from workspaces.auth import client_ip

from ..checker import RateLimited, check_hash
from ..checker_views import MAX_HASH_LENGTH
from ..gateway import MAX_IDENTIFIER_LENGTH
from ..models import Platform


def _text(max_length, help_text):
    # No trimming: whitespace around a value is one of the mistakes the checker reports.
    return TextField(
        required=False,
        allow_null=True,
        trim_whitespace=False,
        min_length=1,
        max_length=max_length,
        help_text=help_text,
    )


class HashCheckSerializer(serializers.Serializer):
    platform = serializers.ChoiceField(choices=Platform.values)
    user_id = _text(MAX_IDENTIFIER_LENGTH, "Exactly as sent by the page; wins over email.")
    email = _text(MAX_IDENTIFIER_LENGTH, "Hashed only when no user_id is given.")
    user_hash = _text(MAX_HASH_LENGTH, "The hash to check and diagnose (optional).")

    def validate(self, data):
        if all(data.get(name) is None for name in ("user_id", "email", "user_hash")):
            raise serializers.ValidationError(
                {"user_id": ["Give a user_id or an email (or a user_hash to diagnose)."]}
            )
        return data


# At least one of the three, and not null.
schema_any_of(
    HashCheckSerializer,
    *(
        {"required": [name], "properties": {name: {"type": "string"}}}
        for name in ("user_id", "email", "user_hash")
    ),
)


FINDING = inline_serializer(
    "DiagnosisFinding", {"code": serializers.CharField(), "message": serializers.CharField()}
)
RESULT = inline_serializer(
    "HashCheckResult",
    {
        "platform": serializers.CharField(),
        "identifier_type": serializers.ChoiceField(choices=["user_id", "email"], allow_null=True),
        "identifier_reason": serializers.CharField(),
        "expected_hash": serializers.CharField(
            allow_null=True, help_text="Only for roles that may see secrets (admin, developer)."
        ),
        "secret_version": serializers.IntegerField(allow_null=True),
        "match": serializers.BooleanField(allow_null=True, help_text="null when no hash given"),
        "diagnosis": serializers.ListField(child=FINDING),
    },
)


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
    responses={200: RESULT, **error_responses(400, 403, 404, 429)},
)
@api_view(["POST"])
def hash_check(request, app_id):
    workspace = workspace_for(request.user, app_id, need="check")
    serializer = HashCheckSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    try:
        result = check_hash(
            workspace,
            request.user,
            platform=data["platform"],
            user_id=data.get("user_id"),
            email=data.get("email"),
            user_hash=data.get("user_hash"),
            ip=client_ip(request),
        )
    except RateLimited as exc:
        return Response(
            {
                "error": "rate_limited",
                "message": f"Too many checks; try again in {exc.retry_after} s.",
                "retry_after": exc.retry_after,
            },
            status=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    return Response(result.as_dict())
