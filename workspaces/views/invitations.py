"""Opening an invitation's link: a new account (username and password) joins at once; an
existing account logs in first, and must use the invited address. A link that was used,
revoked, replaced or has expired gets a page saying so (404 or 410), never a 500."""

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ..auth import client_ip
from ..forms import AcceptInvitationForm
from ..invitations import (
    EXPIRED,
    INVALID,
    REVOKED,
    USED,
    accept_invitation,
    accept_with_new_account,
    account_for,
    email_mismatch,
    open_invitation,
)
from ..refusals import Refused, show_on_form
from ..templatetags.verity import workspace_home

CLOSED = {INVALID, USED, REVOKED, EXPIRED}
# A new account is logged in by the password it was just given, not by a login form.
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _closed(request, refusal):
    return render(
        request, "workspaces/invitation_closed.html", {"refusal": refusal}, status=refusal.status
    )


def _joined(request, invitation):
    workspace = invitation.workspace
    messages.success(
        request,
        f"Welcome to {workspace.name}: you joined it and its [TEST] twin as "
        f"{invitation.get_role_display().lower()}.",
    )
    return redirect(workspace_home(workspace) or "workspaces:home")


@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request, pk, token):
    try:
        invitation = open_invitation(pk, token)
    except Refused as refusal:
        return _closed(request, refusal)
    user = request.user
    signed_in = user.is_authenticated
    refusal = email_mismatch(invitation, user) if signed_in else None
    account = None if signed_in else account_for(invitation.email)
    form = AcceptInvitationForm() if not signed_in and account is None else None
    status = 200 if refusal is None else refusal.status
    if request.method == "POST":
        try:
            if signed_in:
                accept_invitation(pk, token, user, ip=client_ip(request))
                return _joined(request, invitation)
            if form is not None:
                form = AcceptInvitationForm(request.POST)
                if form.is_valid():
                    new_user = accept_with_new_account(
                        pk,
                        token,
                        username=form.cleaned_data["username"],
                        password=form.cleaned_data["password1"],
                        ip=client_ip(request),
                    )
                    login(request, new_user, backend=BACKEND)
                    return _joined(request, invitation)
                status = 400
        except Refused as exc:
            if exc.code in CLOSED:
                return _closed(request, exc)
            if form is not None and exc.field:
                show_on_form(form, exc)
            else:
                refusal = exc
            status = exc.status
    context = {
        "invitation": invitation,
        "form": form,
        "account_exists": account is not None,
        "refusal": refusal,
        "login_url": f"{request.path}",
    }
    return render(request, "workspaces/invitation.html", context, status=status)
