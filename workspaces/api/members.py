"""Members and invitations API (SPEC §7): the same actions as the Members page. A
workspace and its [TEST] twin answer with one list."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, schema
from rest_framework.response import Response

from ..access import workspace_for
from ..auth import base_url, client_ip
from ..invitations import (
    invite,
    is_expired,
    pending_invitations,
    resend_invitation,
    revoke_invitation,
)
from ..members import change_role, members_of, remove_member
from ..models import Role
from ..two_factor import has_second_factor, second_factor_label
from .errors import error_responses
from .serializers import BodyRequiredSchema, TextField, schema_any_of


class MemberSerializer(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    email = serializers.CharField(source="user.email")
    role = serializers.ChoiceField(choices=Role.choices)
    is_active = serializers.BooleanField(source="user.is_active")
    last_login = serializers.DateTimeField(source="user.last_login", allow_null=True)
    member_since = serializers.DateTimeField(source="created_at")
    two_factor = serializers.SerializerMethodField(
        help_text="Whether the member has an authenticator app or a passkey, and which."
    )

    def get_two_factor(self, membership) -> dict:
        return {
            "enrolled": has_second_factor(membership.user),
            "factors": second_factor_label(membership.user),
        }


class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


# A PATCH body's fields are optional in the schema unless said: the role is needed.
schema_any_of(RoleSerializer, {"required": ["role"]})


class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = TextField(max_length=254, help_text="Stored in lower case.")
    role = serializers.ChoiceField(choices=Role.choices)
    state = serializers.CharField(read_only=True, help_text="pending, accepted or revoked.")
    expired = serializers.SerializerMethodField()
    invited_by = serializers.CharField(
        source="invited_by.username", read_only=True, allow_null=True, default=None
    )
    created_at = serializers.DateTimeField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)
    sent_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="null until the mail task has sent it."
    )

    def get_expired(self, invitation) -> bool:
        return is_expired(invitation)


INVITE_EXAMPLE = OpenApiExample(
    "A developer", value={"email": "dev@example.com", "role": "developer"}, request_only=True
)
INVITE_ERRORS = error_responses(
    400,
    403,
    404,
    409,
    429,
    why={409: "already_member (a member uses the address) or already_invited (resend it)"},
)


def _invite(request, app_id):
    workspace = workspace_for(request.user, app_id, need="admin")
    serializer = InvitationSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return invite(
        workspace,
        serializer.validated_data["email"],
        serializer.validated_data["role"],
        actor=request.user,
        base_url=base_url(request),
        ip=client_ip(request),
    )


@extend_schema(
    methods=["GET"],
    request=None,
    responses={200: MemberSerializer(many=True), **error_responses(403, 404)},
)
@extend_schema(
    methods=["POST"],
    request={"application/json": InvitationSerializer},
    examples=[INVITE_EXAMPLE],
    responses={202: InvitationSerializer, **INVITE_ERRORS},
    description="Adding a member is inviting them (admins): the same as POST invitations/. "
    "They become a member when they accept the emailed link (202: the invitation).",
)
@api_view(["GET", "POST"])
def member_list(request, app_id):
    """The members of the workspace (and its twin: the same list), with their roles."""
    if request.method == "POST":
        return Response(InvitationSerializer(_invite(request, app_id)).data, status=202)
    workspace = workspace_for(request.user, app_id, need="view")
    return Response(MemberSerializer(members_of(workspace), many=True).data)


@extend_schema(
    methods=["PATCH"],
    request={"application/json": RoleSerializer},
    examples=[OpenApiExample("Make viewer", value={"role": "viewer"}, request_only=True)],
    responses={
        200: MemberSerializer,
        **error_responses(400, 403, 404, 409, why={409: "last_admin: keep one admin"}),
    },
)
@extend_schema(
    methods=["DELETE"],
    request=None,
    responses={
        204: None,
        **error_responses(403, 404, 409, why={409: "last_admin: keep one admin"}),
    },
)
@api_view(["PATCH", "DELETE"])
@schema(BodyRequiredSchema())
def member_detail(request, app_id, username):
    """Change a member's role, or remove them (admins); never the last admin."""
    workspace = workspace_for(request.user, app_id, need="admin")
    if request.method == "DELETE":
        remove_member(workspace, username, actor=request.user, ip=client_ip(request))
        return Response(status=204)
    serializer = RoleSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    membership = change_role(
        workspace,
        username,
        serializer.validated_data["role"],
        actor=request.user,
        ip=client_ip(request),
    )
    return Response(MemberSerializer(membership).data)


@extend_schema(
    methods=["GET"],
    request=None,
    responses={200: InvitationSerializer(many=True), **error_responses(403, 404)},
)
@extend_schema(
    methods=["POST"],
    request={"application/json": InvitationSerializer},
    examples=[INVITE_EXAMPLE],
    responses={201: InvitationSerializer, **INVITE_ERRORS},
)
@api_view(["GET", "POST"])
def invitation_list(request, app_id):
    """Open invitations (expired ones included, until resent or revoked); POST emails a
    single-use link valid 7 days (admins)."""
    if request.method == "POST":
        return Response(InvitationSerializer(_invite(request, app_id)).data, status=201)
    workspace = workspace_for(request.user, app_id, need="admin")
    return Response(InvitationSerializer(pending_invitations(workspace), many=True).data)


CLOSED = {409: "invitation_closed: it was already accepted or revoked"}


@extend_schema(request=None, responses={204: None, **error_responses(403, 404, 409, why=CLOSED)})
@api_view(["DELETE"])
def invitation_detail(request, app_id, pk):
    """Revoke an open invitation: its link then says so."""
    workspace = workspace_for(request.user, app_id, need="admin")
    revoke_invitation(workspace, pk, actor=request.user, ip=client_ip(request))
    return Response(status=204)


@extend_schema(
    request=None,
    responses={200: InvitationSerializer, **error_responses(403, 404, 409, 429, why=CLOSED)},
)
@api_view(["POST"])
def invitation_resend(request, app_id, pk):
    """Email a new link, valid 7 more days; the link sent before stops working."""
    workspace = workspace_for(request.user, app_id, need="admin")
    invitation = resend_invitation(
        workspace, pk, actor=request.user, base_url=base_url(request), ip=client_ip(request)
    )
    return Response(InvitationSerializer(invitation).data)
