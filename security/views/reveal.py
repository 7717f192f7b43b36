"""Revealing behind a fresh proof of identity: one flow for secrets and keys.

The action decides (``reauth.confirm_identity``): without a recent confirmation it
refuses with ``password_required`` (or ``second_factor_required`` once the user has
two-factor), and the page asks for the password (or a code or passkey); a wrong one is
shown beside the field. A refusal that is not about the password (an unknown or
revoked key) goes back to the page the user came from with the message.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from workspaces.access import workspace_for
from workspaces.auth import client_ip
from workspaces.refusals import Refused, show_on_form, with_headers
from workspaces.two_factor import has_passkey, has_second_factor

from .. import reauth
from ..actions.jwt_keys import reveal_messenger_key
from ..actions.secrets import reveal_secret
from ..forms import ReauthForm, SecondFactorReauthForm
from ..vocabulary import platform_label


def _reveal_flow(request, *, reveal, context, back):
    """Ask ``reveal(proof)`` and render the form, the value, or the refusal. A user with
    a second factor is asked for it (a code or a passkey) instead of the password."""
    enrolled = has_second_factor(request.user)
    form_class = SecondFactorReauthForm if enrolled else ReauthForm
    submitted = request.method == "POST" and any(
        name in request.POST for name in form_class.base_fields
    )
    form = form_class(request.POST if submitted else None)
    context = {
        **context,
        "second_factor": enrolled,
        "has_passkey": enrolled and has_passkey(request.user),
    }
    refusal = None
    if form.is_bound and not form.is_valid():
        return _render(request, "security/_reauth_form.html", {**context, "form": form}, 400)
    typed = form.cleaned_data if form.is_bound else {}
    try:
        revealed = reveal(reauth.session_proof(request, **typed))
    except Refused as exc:
        refusal = exc
    if refusal is None:
        if any(typed.values()):
            reauth.remember(request)
        return _render(request, "security/_revealed.html", {**context, "revealed": revealed})
    if refusal.code in reauth.PROOF_REQUIRED and not form.is_bound:
        return _render(request, "security/_reauth_form.html", {**context, "form": form})
    if refusal.status in (404, 409):
        # About the thing to reveal (an unknown or revoked key), not the password.
        messages.error(request, refusal.message)
        return redirect(back)
    show_on_form(form, refusal)
    response = _render(request, "security/_reauth_form.html", {**context, "form": form})
    return with_headers(response, refusal)


def _render(request, partial, context, status=200):
    # htmx swaps the partial into the card; without JavaScript the partial gets a page.
    context["partial"] = partial
    name = partial if request.headers.get("HX-Request") else "security/reveal.html"
    response = render(request, name, context, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _htmx_status(request, response):
    # htmx swaps only 2xx answers: the partial carries the refusal itself.
    if request.headers.get("HX-Request"):
        response.status_code = 200
    return response


@never_cache
@login_required
@require_POST
def secret(request, app_id, platform):
    workspace = workspace_for(request.user, app_id, need="see_secrets")
    label = platform_label(platform)
    context = {
        "workspace": workspace,
        "title": f"{label} identity secret",
        "subject": platform,
        "revealed_testid": f"secret-{platform}",
        "reveal_url": reverse("security:secret-reveal", args=[workspace.app_id, platform]),
    }
    back = reverse("security:overview", args=[workspace.app_id]) + f"#platform-{platform}"
    context["back"] = back

    def reveal(proof):
        _, plaintext = reveal_secret(
            workspace, platform, actor=request.user, proof=proof, ip=client_ip(request)
        )
        return plaintext

    return _htmx_status(request, _reveal_flow(request, reveal=reveal, context=context, back=back))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def key(request, app_id, kid):
    workspace = workspace_for(request.user, app_id, need="see_secrets")
    back = reverse("security:jwt-keys", args=[workspace.app_id])
    context = {
        "workspace": workspace,
        "title": f"Messenger key {kid}",
        "subject": kid,
        "revealed_testid": "revealed-key",
        "reveal_url": reverse("security:jwt-reveal", args=[workspace.app_id, kid]),
        "back": back,
    }

    def reveal(proof):
        return reveal_messenger_key(
            workspace, kid, actor=request.user, proof=proof, ip=client_ip(request)
        )

    return _htmx_status(request, _reveal_flow(request, reveal=reveal, context=context, back=back))
