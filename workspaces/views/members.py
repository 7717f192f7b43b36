"""The Members page: the member list (every member reads it), and for admins invitations,
role changes and removal. A workspace and its [TEST] twin show the same list."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from ..access import Forbidden, can, workspace_for
from ..auth import base_url, client_ip
from ..forms import InvitationForm, RoleForm
from ..invitations import (
    invite,
    is_expired,
    pending_invitations,
    resend_invitation,
    revoke_invitation,
)
from ..members import NO_SUCH_MEMBER, change_role, members_of, remove_member
from ..models import Role
from ..refusals import Refused, show_on_form

ADMIN_ONLY = "Only workspace admins can invite, change roles or remove members."


def _page(request, workspace, *, form=None, role_errors=None, status=200):
    is_admin = can(workspace.role, "admin")
    invitations = list(pending_invitations(workspace)) if is_admin else []
    for invitation in invitations:
        invitation.expired = is_expired(invitation)
    context = {
        "workspace": workspace,
        "members": members_of(workspace),
        "invitations": invitations,
        "form": form or InvitationForm(),
        "roles": Role.choices,
        "role_errors": role_errors or {},
        "is_admin": is_admin,
        "admin_only": ADMIN_ONLY,
    }
    return render(request, "workspaces/members.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def members(request, app_id):
    """GET: the list. POST: invite an address with a role (admins)."""
    workspace = workspace_for(request.user, app_id, need="view")
    if request.method == "GET":
        return _page(request, workspace)
    if not can(workspace.role, "admin"):
        raise Forbidden(ADMIN_ONLY)
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = invite(
                workspace,
                form.cleaned_data["email"],
                form.cleaned_data["role"],
                actor=request.user,
                base_url=base_url(request),
                ip=client_ip(request),
            )
        except Refused as refusal:
            show_on_form(form, refusal)
            return _page(request, workspace, form=form, status=refusal.status)
        messages.success(
            request,
            f"Invitation sent to {invitation.email} as {invitation.get_role_display().lower()}; "
            "the link works once, for 7 days.",
        )
        return redirect("workspaces:members", app_id=workspace.app_id)
    return _page(request, workspace, form=form, status=400)


@login_required
@require_POST
def member_role(request, app_id, username):
    workspace = workspace_for(request.user, app_id, need="admin")
    form = RoleForm(request.POST)
    role = form.cleaned_data["role"] if form.is_valid() else request.POST.get("role", "")
    try:
        change_role(workspace, username, role, actor=request.user, ip=client_ip(request))
    except Refused as refusal:
        if refusal.code == NO_SUCH_MEMBER:
            messages.error(request, refusal.message)
            return redirect("workspaces:members", app_id=workspace.app_id)
        return _page(
            request, workspace, role_errors={username: refusal.message}, status=refusal.status
        )
    messages.success(request, f"{username} is now {role} of this workspace and its twin.")
    return redirect("workspaces:members", app_id=workspace.app_id)


@login_required
@require_http_methods(["GET", "POST"])
def member_remove(request, app_id, username):
    """GET asks for confirmation, POST removes."""
    workspace = workspace_for(request.user, app_id, need="admin")
    membership = members_of(workspace).filter(user__username=username).first()
    if membership is None:
        messages.error(request, f"{username} is not a member of this workspace.")
        return redirect("workspaces:members", app_id=workspace.app_id)
    refusal = None
    if request.method == "POST":
        try:
            remove_member(workspace, username, actor=request.user, ip=client_ip(request))
        except Refused as exc:
            refusal = exc
        else:
            messages.success(request, f"{username} was removed from this workspace and its twin.")
            if username == request.user.get_username():
                return redirect("workspaces:home")
            return redirect("workspaces:members", app_id=workspace.app_id)
    return render(
        request,
        "workspaces/remove_member.html",
        {
            "workspace": workspace,
            "membership": membership,
            "refusal": refusal,
            "is_self": membership.user_id == request.user.pk,
        },
        status=refusal.status if refusal else 200,
    )


@login_required
@require_POST
def invitation_resend(request, app_id, pk):
    workspace = workspace_for(request.user, app_id, need="admin")
    try:
        invitation = resend_invitation(
            workspace, pk, actor=request.user, base_url=base_url(request), ip=client_ip(request)
        )
    except Refused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            f"A new link was sent to {invitation.email}; the one sent before no longer works.",
        )
    return redirect("workspaces:members", app_id=workspace.app_id)


@login_required
@require_POST
def invitation_revoke(request, app_id, pk):
    workspace = workspace_for(request.user, app_id, need="admin")
    try:
        invitation = revoke_invitation(workspace, pk, actor=request.user, ip=client_ip(request))
    except Refused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, f"The invitation of {invitation.email} was revoked.")
    return redirect("workspaces:members", app_id=workspace.app_id)
