"""What the workspace's admins are told by email about a rotation request (sent after
the transaction that made the change commits)."""

from django.core.mail import send_mail
from django.db import transaction

from workspaces.models import Membership, Role

from ..display import next_step
from ..vocabulary import platform_label


def notify_admins(request):
    """Email the workspace's admins about the new step, after the transaction commits."""
    emails = list(
        Membership.objects.filter(workspace=request.workspace, role=Role.ADMIN)
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
    transaction.on_commit(
        lambda: send_mail(subject, body, None, emails, fail_silently=True)  # noqa: S108
    )
