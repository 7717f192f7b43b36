"""Console pages: the hash checker and the code snippets."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from workspaces.access import can, workspace_for
from workspaces.auth import client_ip

from . import snippets
from .checker import RateLimited, check_hash
from .gateway import MAX_IDENTIFIER_LENGTH, PLATFORMS
from .models import Platform

MAX_HASH_LENGTH = 255


class HashCheckForm(forms.Form):
    platform = forms.ChoiceField(choices=Platform.choices, initial="web")
    # strip=False: whitespace around values is one of the mistakes the checker diagnoses.
    user_id = forms.CharField(
        label="user_id",
        required=False,
        strip=False,
        max_length=MAX_IDENTIFIER_LENGTH,
        help_text="Exactly as your page sends it. When present, the user_id is what is hashed.",
    )
    email = forms.CharField(
        label="email",
        required=False,
        strip=False,
        max_length=MAX_IDENTIFIER_LENGTH,
        help_text="Used only when no user_id is sent.",
    )
    user_hash = forms.CharField(
        label="user_hash (optional)",
        required=False,
        strip=False,
        max_length=MAX_HASH_LENGTH,
        help_text="The hash your server made, to find out whether and why it is wrong.",
    )

    def clean(self):
        data = super().clean()
        for name in ("user_id", "email", "user_hash"):
            if data.get(name) == "":
                data[name] = None
        if (
            not self.errors
            and data.get("user_id") is None
            and data.get("email") is None
            and data.get("user_hash") is None
        ):
            self.add_error("user_id", "Enter a user_id or an email (or a hash to diagnose).")
        return data


@login_required
def hash_checker(request, app_id):
    workspace = workspace_for(request.user, app_id, need="check")
    form = HashCheckForm(request.POST or None)
    context = {
        "workspace": workspace,
        "form": form,
        "may_see_secrets": can(workspace.role, "see_secrets"),
        "platforms": PLATFORMS,
    }
    status = 200
    if request.method == "POST" and form.is_valid():
        values = {k: form.cleaned_data[k] for k in ("platform", "user_id", "email", "user_hash")}
        try:
            context["result"] = check_hash(workspace, request.user, **values, ip=client_ip(request))
        except RateLimited as exc:
            status = 429
            context["retry_after"] = exc.retry_after
    template = "security/hash_checker.html"
    if request.headers.get("HX-Request"):
        # htmx swaps only 2xx answers: the partial carries the rate-limit message itself.
        template, status = "security/_hash_check.html", 200
    response = render(request, template, context, status=status)
    if "retry_after" in context:
        response["Retry-After"] = str(context["retry_after"])
    return response


@login_required
def snippet_list(request, app_id):
    workspace = workspace_for(request.user, app_id, need="view")
    return render(
        request,
        "security/snippets.html",
        {
            "workspace": workspace,
            "groups": snippets.grouped(),
            "env": snippets.ENVIRONMENT,
            "session_seconds": snippets.SESSION_SECONDS,
        },
    )
