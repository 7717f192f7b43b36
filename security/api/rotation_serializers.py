"""The rotation requests' serializers (support staff open and follow them, the customer's
admin accepts an overlap): validated by ``security.validators`` as the console's forms."""

from rest_framework import serializers

from workspaces.api.serializers import FlagField, TextField, schema_any_of

from ..display import next_step
from ..models import RotationMode, RotationReason
from ..validators import (
    MAX_TICKET_LENGTH,
    OVERLAP_HOURS,
    validate_rotation_request,
    validate_ticket,
)
from ..vocabulary import PLATFORM_CHOICES

# ---- rotation requests -------------------------------------------------------------------


class OpenRotationSerializer(serializers.Serializer):
    app_id = TextField(required=False, min_length=1, help_text="support route only")
    platform = serializers.ChoiceField(choices=PLATFORM_CHOICES)
    mode = serializers.ChoiceField(choices=RotationMode.choices, default=RotationMode.GAP)
    reason = serializers.ChoiceField(choices=RotationReason.choices)
    ticket = TextField(min_length=1, max_length=MAX_TICKET_LENGTH, validators=[validate_ticket])
    overlap_hours = serializers.IntegerField(required=False, validators=OVERLAP_HOURS)

    def validate(self, attrs):
        validate_rotation_request(attrs["mode"], attrs.get("overlap_hours"))
        return attrs


# Overlap mode needs overlap_hours (a missing mode means gap).
schema_any_of(
    OpenRotationSerializer,
    {"properties": {"mode": {"not": {"enum": [RotationMode.OVERLAP]}}}},
    {"required": ["overlap_hours"]},
)


class FinishOverlapSerializer(serializers.Serializer):
    override = FlagField(
        default=False,
        help_text="Retire the old secret even though the new one has not verified any request "
        "yet (otherwise 409 new_secret_unused).",
    )


class StepSerializer(serializers.Serializer):
    state = serializers.CharField()
    actor = serializers.CharField()
    note = serializers.CharField()
    at = serializers.DateTimeField()


class RotationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    app_id = serializers.CharField()
    workspace = serializers.CharField()
    platform = serializers.CharField()
    mode = serializers.CharField()
    reason = serializers.CharField()
    ticket = serializers.CharField()
    state = serializers.CharField()
    next_step = serializers.CharField()
    overlap_until = serializers.DateTimeField(allow_null=True)
    extensions = serializers.IntegerField(
        help_text="Overlap: times the deadline moved because the old secret was still in use."
    )
    old_version = serializers.IntegerField(allow_null=True)
    new_version = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    steps = StepSerializer(many=True)


class SupportPlatformSerializer(serializers.Serializer):
    platform = serializers.CharField()
    enforced = serializers.BooleanField()
    hmac_allowed = serializers.BooleanField()


class SupportWorkspaceSerializer(serializers.Serializer):
    app_id = serializers.CharField()
    name = serializers.CharField()
    is_test = serializers.BooleanField()
    platforms = SupportPlatformSerializer(many=True)


def rotation_data(request):
    return RotationSerializer(
        {
            "id": request.pk,
            "app_id": request.workspace.app_id,
            "workspace": request.workspace.display_name,
            "platform": request.platform,
            "mode": request.mode,
            "reason": request.reason,
            "ticket": request.ticket,
            "state": request.state,
            "next_step": next_step(request),
            "overlap_until": request.overlap_until,
            "extensions": request.extensions,
            "old_version": request.old_version,
            "new_version": request.new_version,
            "created_at": request.created_at,
            "updated_at": request.updated_at,
            "steps": [
                {"state": s.state, "actor": s.actor_label, "note": s.note, "at": s.created_at}
                for s in request.steps.all()
            ],
        }
    ).data


def support_workspace_data(workspace):
    return SupportWorkspaceSerializer(
        {
            "app_id": workspace.app_id,
            "name": workspace.display_name,
            "is_test": workspace.is_test,
            "platforms": [
                {"platform": p.platform, "enforced": p.enforced, "hmac_allowed": p.hmac_allowed}
                for p in workspace.platforms.all()
            ],
        }
    ).data
