from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.response import Response

from ..access import workspaces_of
from .errors import error_responses
from .serializers import WorkspaceSerializer


@extend_schema(responses={200: WorkspaceSerializer(many=True), **error_responses(403)})
@api_view(["GET"])
def workspace_list(request):
    """The caller's workspaces with their role in each."""
    rows = []
    for workspace in workspaces_of(request.user):
        twin = workspace.twin
        rows.append(
            {
                "app_id": workspace.app_id,
                "name": workspace.name,
                "display_name": workspace.display_name,
                "is_test": workspace.is_test,
                "role": workspace.role,
                "twin_app_id": twin.app_id if twin else None,
            }
        )
    return Response(WorkspaceSerializer(rows, many=True).data)
