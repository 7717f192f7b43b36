"""Trusted domains and audit events API (SPEC §7)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from ..access import workspace_for
from ..actions import add_trusted_domain, remove_trusted_domain
from ..audit import audit_events_for, filter_events, safe_changes
from ..auth import client_ip
from .errors import error_responses
from .pagination import PAGE_PARAMETERS, paginate, paginated
from .query import text_param
from .serializers import DomainField, FlagField


class TrustedDomainSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    domain = DomainField()
    created_at = serializers.DateTimeField(read_only=True)
    confirm = FlagField(
        default=False,
        write_only=True,
        help_text="Needed for the first domain when other web origins used the messenger in "
        "the last 7 days (otherwise 409 confirmation_required with their list in `origins`).",
    )


class AuditEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_label")
    # The actor's role in the workspace then: admin, developer, viewer, support, or "".
    role = serializers.CharField()
    action = serializers.CharField()
    target = serializers.CharField()
    before = serializers.SerializerMethodField()
    after = serializers.SerializerMethodField()
    ip = serializers.IPAddressField(allow_null=True)

    def get_before(self, event) -> dict:
        return safe_changes(event.before)

    def get_after(self, event) -> dict:
        return safe_changes(event.after)


@extend_schema(
    methods=["GET"],
    request=None,
    responses={200: TrustedDomainSerializer(many=True), **error_responses(403, 404)},
)
@extend_schema(
    methods=["POST"],
    request={"application/json": TrustedDomainSerializer},
    examples=[
        OpenApiExample("A host", value={"domain": "shop.example.com"}, request_only=True),
        OpenApiExample("Its subdomains", value={"domain": "*.example.com"}, request_only=True),
        OpenApiExample(
            "A first domain, other origins seen",
            value={"domain": "shop.example.com", "confirm": True},
            request_only=True,
        ),
    ],
    responses={201: TrustedDomainSerializer, **error_responses(400, 403, 404, 409)},
)
@api_view(["GET", "POST"])
def trusted_domain_list(request, app_id):
    """The allow-list of web origins; POST ``{"domain"}`` adds one (admins)."""
    if request.method == "GET":
        workspace = workspace_for(request.user, app_id, need="view")
        return Response(TrustedDomainSerializer(workspace.trusted_domains.all(), many=True).data)
    workspace = workspace_for(request.user, app_id, need="admin")
    serializer = TrustedDomainSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    entry = add_trusted_domain(
        workspace,
        serializer.validated_data["domain"],
        confirm=serializer.validated_data["confirm"],
        actor=request.user,
        ip=client_ip(request),
    )
    return Response(TrustedDomainSerializer(entry).data, status=201)


@extend_schema(request=None, responses={204: None, **error_responses(403, 404)})
@api_view(["DELETE"])
def trusted_domain_detail(request, app_id, pk):
    """Remove one trusted domain (admins)."""
    workspace = workspace_for(request.user, app_id, need="admin")
    entry = get_object_or_404(workspace.trusted_domains, pk=pk)
    remove_trusted_domain(entry, actor=request.user, ip=client_ip(request))
    return Response(status=204)


@extend_schema(
    parameters=[
        OpenApiParameter("action", str, description="Only events of this action."),
        OpenApiParameter("actor", str, description="Only events of this username."),
        *PAGE_PARAMETERS,
    ],
    responses={
        200: paginated("AuditEventPage", AuditEventSerializer),
        **error_responses(400, 403, 404),
    },
)
@api_view(["GET"])
def audit_list(request, app_id):
    """Audit events, newest first: all for admins, their own for support staff."""
    _, events = audit_events_for(request.user, app_id)
    events = filter_events(
        events,
        action=text_param(request, "action", 64),
        actor=text_param(request, "actor", 150),
    )
    return paginate(request, events, AuditEventSerializer)
