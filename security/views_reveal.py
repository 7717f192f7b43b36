"""Revealing a platform secret behind a fresh password confirmation."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from workspaces.access import workspace_for
from workspaces.auth import client_ip

from . import actions, reauth
from .cards import platform_label
from .forms import ReauthForm


def _render(request, template, context, status=200):
    # htmx swaps the partial into the card; without JavaScript the partial gets a page.
    context["partial"] = template
    name = template if request.headers.get("HX-Request") else "security/reveal.html"
    return render(request, name, context, status=status)


@never_cache
@login_required
@require_POST
def reveal_secret(request, app_id, platform):
    workspace = workspace_for(request.user, app_id, need="see_secrets")
    context = {"workspace": workspace, "platform": platform, "label": platform_label(platform)}
    if not reauth.recently_confirmed(request):
        form = ReauthForm(request.POST if "password" in request.POST else None)
        if not form.is_bound:
            return _render(request, "security/_reauth_form.html", {**context, "form": form})
        retry_after = reauth.attempt_wait(request.user)
        if retry_after:
            form.is_valid()
            form.add_error("password", f"Too many attempts. Try again in {retry_after} seconds.")
            response = _render(
                request, "security/_reauth_form.html", {**context, "form": form}, status=429
            )
            response["Retry-After"] = str(retry_after)
            return response
        if not (form.is_valid() and reauth.check_password(request, form.cleaned_data["password"])):
            if not form.errors:
                form.add_error("password", "That is not your password.")
            return _render(request, "security/_reauth_form.html", {**context, "form": form})
    secret = actions.reveal_secret(workspace, platform, actor=request.user, ip=client_ip(request))
    return _render(request, "security/_secret_revealed.html", {**context, "secret": secret})
