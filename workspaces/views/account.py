from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ..access import is_support, workspaces_of
from ..actions import issue_api_token
from ..auth import client_ip
from ..models import ApiToken

# The session key holding a new API token until the page after the redirect shows it once.
NEW_TOKEN_KEY = "verity.new_api_token"


@login_required
def home(request):
    """The workspace picker; support staff with no workspace land on their support console."""
    workspaces = workspaces_of(request.user)
    support = is_support(request.user)
    if support and not workspaces:
        return redirect("security:support-home")
    return render(
        request, "workspaces/home.html", {"workspaces": workspaces, "is_support": support}
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """The user's API token, by post/redirect/get: a POST issues it and redirects, and the
    page after the redirect shows the key once (kept in the session for that one display,
    never in a URL), so a reload cannot issue another. Replacing a token is confirmed
    first: its key stops working at once."""
    token = ApiToken.objects.filter(user=request.user).first()
    if request.method == "POST":
        if token is not None and request.POST.get("replace") != "yes":
            context = {
                "token": token,
                "confirm": True,
                "password_form": PasswordChangeForm(request.user),
            }
            return render(request, "workspaces/profile.html", context)
        token, key = issue_api_token(request.user, actor=request.user, ip=client_ip(request))
        request.session[NEW_TOKEN_KEY] = {"key": key, "token": token.pk}
        return redirect("workspaces:profile")
    shown = request.session.pop(NEW_TOKEN_KEY, None)
    # Only the key of the token that still exists (not one replaced in another tab since).
    new_key = shown["key"] if shown and token is not None and shown["token"] == token.pk else None
    if new_key:
        messages.success(request, "Your new API token is below. Copy it now: it is shown once.")
    context = {
        "password_form": PasswordChangeForm(request.user),
        "token": token,
        "new_key": new_key,
        "confirm": token is not None and request.GET.get("regenerate") == "1" and not new_key,
    }
    return render(request, "workspaces/profile.html", context)
