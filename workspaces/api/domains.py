"""Trusted domains and audit events API (SPEC §7)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from ..access import workspace_for
from ..actions import add_trusted_domain, remove_trusted_domain
from ..audit import audit_events_for, filter_events, safe_changes
from ..auth import client_ip
from ..domains import InvalidDomain
from .errors import Conflict


class TrustedDomainSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    domain = serializers.CharField(max_length=300)
    created_at = serializers.DateTimeField(read_only=True)


class AuditEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_label")
    action = serializers.CharField()
    target = serializers.CharField()
    before = serializers.SerializerMethodField()
    after = serializers.SerializerMethodField()
    ip = serializers.IPAddressField(allow_null=True)

    def get_before(self, event) -> dict:
        return safe_changes(event.before)

    def get_after(self, event) -> dict:
        return safe_changes(event.after)


@extend_schema(methods=["GET"], responses=TrustedDomainSerializer(many=True), request=None)
@extend_schema(
    methods=["POST"], request=TrustedDomainSerializer, responses={201: TrustedDomainSerializer}
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
    try:
        entry = add_trusted_domain(
            workspace,
            serializer.validated_data["domain"],
            actor=request.user,
            ip=client_ip(request),
        )
    except InvalidDomain as exc:
        raise serializers.ValidationError({"domain": [str(exc)]}) from None
    except ValueError as exc:
        raise Conflict("duplicate_domain", str(exc)) from None
    return Response(TrustedDomainSerializer(entry).data, status=201)


@extend_schema(request=None, responses={204: None})
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
    ],
    responses=AuditEventSerializer(many=True),
)
@api_view(["GET"])
def audit_list(request, app_id):
    """Audit events, newest first: all for admins, their own for support staff."""
    _, events = audit_events_for(request.user, app_id)
    events = filter_events(
        events,
        action=request.query_params.get("action", "")[:64],
        actor=request.query_params.get("actor", "")[:150],
    )
    paginator = LimitOffsetPagination()
    page = paginator.paginate_queryset(events, request)
    return paginator.get_paginated_response(AuditEventSerializer(page, many=True).data)
