"""Installation API: the domain status table, the check job, the verification log."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, renderer_classes
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import JSONRenderer, TemplateHTMLRenderer
from rest_framework.response import Response

from security.vocabulary import PLATFORMS
from workspaces.access import workspace_for
from workspaces.api.errors import error_responses
from workspaces.api.pagination import PAGE_PARAMETERS, paginate, paginated
from workspaces.api.query import text_param

from .. import queries
from ..actions import start_check
from ..models import Job
from .serializers import (
    InstallationSerializer,
    JobCreatedSerializer,
    JobSerializer,
    VerificationFailureSerializer,
)


@extend_schema(
    parameters=[
        # Empty means "any" (or the default order), as the console's filter form sends.
        OpenApiParameter("status", str, enum=["", *queries.STATUSES]),
        OpenApiParameter("platform", str, enum=["", *PLATFORMS]),
        OpenApiParameter(
            "sort",
            str,
            enum=["", *(f"{d}{key}" for key in queries.SORTS for d in ("", "-"))],
            description="The column to sort by; prefix - to reverse.",
        ),
        *PAGE_PARAMETERS,
    ],
    responses={
        200: paginated("InstallationPage", InstallationSerializer),
        **error_responses(400, 403, 404),
    },
)
@api_view(["GET"])
def installation_list(request, app_id):
    """The domain status table: installations with their 7-day counts and status."""
    workspace = workspace_for(request.user, app_id, "view")
    try:
        rows = queries.installations(
            workspace,
            status=request.query_params.get("status", ""),
            platform=request.query_params.get("platform", ""),
            sort=request.query_params.get("sort", ""),
        )
    except queries.BadFilter as exc:
        raise ValidationError({exc.field: [exc.message]})
    return paginate(request, rows, InstallationSerializer)


@extend_schema(
    request=None,
    responses={
        202: JobCreatedSerializer,
        **error_responses(
            403, 404, 503, why={503: "queue_unavailable: the job is stored as failed"}
        ),
    },
)
@api_view(["POST"])
def installation_check(request, app_id):
    """Start an installation check (admins and developers); poll GET /api/v1/jobs/{id}."""
    workspace = workspace_for(request.user, app_id, "run_check")
    job = start_check(workspace, actor=request.user)
    return Response({"job_id": job.pk}, status=status.HTTP_202_ACCEPTED)


class JobHTMLRenderer(TemplateHTMLRenderer):
    """The job as the console's progress partial (htmx polls this same route)."""

    template_name = "installcheck/_job.html"

    def get_template_context(self, data, renderer_context):
        # Only a found job's GET carries one; OPTIONS (the route's description) renders empty.
        job = getattr(renderer_context["response"], "job", None)
        return {"job": job, "workspace": data.get("workspace") if job else None}


@extend_schema(responses={200: JobSerializer, **error_responses(400, 403, 404)})
@api_view(["GET"])
@renderer_classes([JSONRenderer, JobHTMLRenderer])
def job_detail(request, job_id):
    """A job's state, progress, timing, result and error (members of its workspace)."""
    if request.query_params.get("format") == "":
        # DRF would quietly ignore it; say json or html, or ask through Accept.
        raise ValidationError({"format": ["Say json or html, or leave format out."]})
    job = Job.objects.select_related("workspace").filter(pk=job_id).first()
    if job is None:
        raise NotFound("No such job.")
    workspace = workspace_for(request.user, job.workspace.app_id, "view")
    if isinstance(request.accepted_renderer, JobHTMLRenderer):
        response = Response({"workspace": workspace})
    else:
        response = Response(JobSerializer(job).data)
    response.job = job
    return response


@extend_schema(
    parameters=[
        OpenApiParameter("code", str, description="Only this reason (e.g. invalid_user_hash)."),
        OpenApiParameter("request_id", OpenApiTypes.STR, description="Search by request id."),
        *PAGE_PARAMETERS,
    ],
    responses={
        200: paginated("VerificationFailurePage", VerificationFailureSerializer),
        **error_responses(400, 403, 404),
    },
)
@api_view(["GET"])
def verification_log(request, app_id):
    """Recent verification failures with reason and diagnosis, newest first."""
    workspace = workspace_for(request.user, app_id, "view")
    code = text_param(request, "code", 40)
    request_id = text_param(request, "request_id", 64)
    rows = queries.failures(workspace, code=code, request_id=request_id)
    return paginate(request, rows, VerificationFailureSerializer)
