"""The workspace's "require two-factor for members" setting (admins change it; every
member reads it). The same action as the console's policy page."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, schema
from rest_framework.response import Response

from workspaces.access import workspace_for
from workspaces.api.errors import error_responses
from workspaces.api.serializers import BodyRequiredSchema, FlagField, schema_any_of
from workspaces.auth import client_ip
from workspaces.two_factor import requires_two_factor

from ..actions.two_factor import set_two_factor_required


class TwoFactorPolicySerializer(serializers.Serializer):
    require_two_factor = FlagField(
        help_text="Members without a second factor get 403 two_factor_required (the "
        "console sends them to enrol). Shared with the [TEST] twin."
    )


# A PATCH body's fields are optional in the schema unless said: this one is needed.
schema_any_of(TwoFactorPolicySerializer, {"required": ["require_two_factor"]})


@extend_schema(
    methods=["GET"], responses={200: TwoFactorPolicySerializer, **error_responses(403, 404)}
)
@extend_schema(
    methods=["PATCH"],
    request={"application/json": TwoFactorPolicySerializer},
    responses={
        200: TwoFactorPolicySerializer,
        **error_responses(
            400,
            403,
            404,
            409,
            why={409: "enrol_first: the admin turning it on has no second factor"},
        ),
    },
)
@api_view(["GET", "PATCH"])
@schema(BodyRequiredSchema())
def two_factor_policy(request, app_id):
    """Whether members need a second factor; admins change it (audited)."""
    if request.method == "GET":
        workspace = workspace_for(request.user, app_id, need="view")
        return Response({"require_two_factor": requires_two_factor(workspace)})
    workspace = workspace_for(request.user, app_id, need="admin")
    serializer = TwoFactorPolicySerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    required = set_two_factor_required(
        workspace,
        serializer.validated_data["require_two_factor"],
        actor=request.user,
        ip=client_ip(request),
    )
    return Response({"require_two_factor": required})
