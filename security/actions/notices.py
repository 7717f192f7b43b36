"""What the workspace's admins are told by email about a rotation request (sent after
the transaction that made the change commits)."""

from workspaces.models import Membership, Role
from workspaces.tasks import queue_email

from ..display import next_step
from ..vocabulary import platform_label


def notify_admins(request):
    """Email the workspace's admins about the new step, after the transaction commits,
    through the retried mail task (a failure is logged, never silent)."""
    emails = list(
        Membership.objects.filter(workspace_id=request.workspace.roster_id, role=Role.ADMIN)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if not emails:
        return
    subject = (
        f"[Verity] {request.workspace.display_name}: {platform_label(request.platform)} secret "
        f"rotation {request.get_state_display().lower()}"
    )
    body = (
        f"Rotation request #{request.pk} (ticket {request.ticket}) for the "
        f"{platform_label(request.platform)} identity secret of {request.workspace.display_name} "
        f"is now: {request.get_state_display()}.\n\n{next_step(request)}\n"
    )
    queue_email(emails, subject, body)
