from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ..access import is_support
from ..actions import issue_api_token
from ..auth import client_ip
from ..models import ApiToken, Membership


@login_required
def home(request):
    """The workspace picker."""
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("workspace")
        .order_by("workspace__name", "workspace__is_test")
    )
    return render(
        request,
        "workspaces/home.html",
        {"memberships": memberships, "is_support": is_support(request.user)},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """The user's API token: created or regenerated here, shown in full only once."""
    token = ApiToken.objects.filter(user=request.user).first()
    new_key = None
    if request.method == "POST":
        token, new_key = issue_api_token(request.user, actor=request.user, ip=client_ip(request))
        messages.success(request, "Your new API token is below. Copy it now: it is shown once.")
    return render(request, "workspaces/profile.html", {"token": token, "new_key": new_key})
