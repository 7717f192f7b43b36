"""The developer tools: the hash checker, the token debugger and the code snippets."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from workspaces.access import can, workspace_for
from workspaces.auth import client_ip
from workspaces.refusals import Refused, show_on_form, with_headers

from .. import snippets, tokens
from ..actions.tools import check_hash, debug_token
from ..forms import HashCheckForm, TokenForm
from ..gateway import MAX_IDENTIFIER_LENGTH
from ..highlight import highlighted
from ..vocabulary import PLATFORMS

# What messenger.js may put in the query string of its links here: identifiers and a
# code, never a hash, a token or a secret.
# The snippet language last chosen, so the page opens on it next time.
SNIPPET_COOKIE = snippets.COOKIE
SNIPPET_COOKIE_AGE = 365 * 24 * 3600

JWT_CODES = frozenset(
    value
    for name, value in vars(tokens).items()
    if name.startswith("JWT_") and isinstance(value, str) and value.startswith("jwt_")
)


def _prefill(query):
    """Initial values from a GET link (messenger.js's console errors), bounded."""
    initial = {
        name: query[name]
        for name in ("user_id", "email")
        if query.get(name) and len(query[name]) <= MAX_IDENTIFIER_LENGTH
    }
    if query.get("platform") in PLATFORMS:
        initial["platform"] = query["platform"]
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def hash_checker(request, app_id):
    workspace = workspace_for(request.user, app_id, need="check")
    form = HashCheckForm(request.POST or None, initial=_prefill(request.GET))
    context = {
        "workspace": workspace,
        "form": form,
        "may_see_secrets": can(workspace.role, "see_secrets"),
        "platforms": PLATFORMS,
    }
    refusal = None
    if request.method == "POST" and form.is_valid():
        values = {k: form.cleaned_data[k] for k in ("platform", "user_id", "email", "user_hash")}
        try:
            context["result"] = check_hash(workspace, request.user, **values, ip=client_ip(request))
        except Refused as exc:
            refusal = context["refusal"] = exc
    template = "security/hash_checker.html"
    if request.headers.get("HX-Request"):
        # htmx swaps only 2xx answers: the partial carries the refusal itself.
        response = render(request, "security/_hash_check.html", context)
        return response
    response = render(request, template, context, status=400 if form.errors else 200)
    return with_headers(response, refusal) if refusal else response


@login_required
@require_http_methods(["GET", "POST"])
def jwt_debugger(request, app_id):
    workspace = workspace_for(request.user, app_id, need="check")
    form = TokenForm(request.POST or None)
    result, refusal = None, None
    if request.method == "POST" and form.is_valid():
        try:
            result = debug_token(
                workspace, form.cleaned_data["token"], actor=request.user, ip=client_ip(request)
            ).as_dict()
        except Refused as exc:
            refusal = exc
            show_on_form(form, exc)
    response = render(
        request,
        "security/jwt_debugger.html",
        {
            "workspace": workspace,
            "form": form,
            "result": result,
            "time_rows": _time_rows(result),
            "reported": _reported(request.GET) if request.method == "GET" else None,
        },
        status=400 if form.errors and refusal is None else 200,
    )
    response["Cache-Control"] = "no-store"
    return with_headers(response, refusal) if refusal else response


def _reported(query):
    """What the messenger reported, when the page was opened from its console error."""
    code = query.get("code")
    if code not in JWT_CODES:
        return None
    return {"code": code, "user_id": _prefill(query).get("user_id")}


def _time_rows(result):
    """(claim, date or raw value, relative text or error) for the claims the token has."""
    times = (result or {}).get("times") or {}
    rows = []
    for claim in ("exp", "nbf", "iat"):
        entry = times.get(claim)
        if entry:
            rows.append(
                (claim, entry.get("iso", entry["value"]), entry.get("text", entry.get("error")))
            )
    return rows


@login_required
def snippet_list(request, app_id):
    """One language at a time (``?lang=``, remembered in a cookie), highlighted."""
    workspace = workspace_for(request.user, app_id, need="view")
    groups = snippets.grouped()
    tabs = [(snippets.LANGUAGE_SLUGS[language], language) for language, _ in groups]
    slugs = dict(tabs)
    asked = request.GET.get("lang")
    lang = snippets.chosen_language(asked, request.COOKIES.get(SNIPPET_COOKIE), list(slugs))
    items = dict(groups)[slugs[lang]]
    response = render(
        request,
        "security/snippets.html",
        {
            "workspace": workspace,
            "tabs": tabs,
            "lang": lang,
            "language": slugs[lang],
            "items": [(s, highlighted(s.source, s.highlight)) for s in items],
            "env": snippets.ENVIRONMENT,
            "session_seconds": snippets.SESSION_SECONDS,
        },
    )
    if asked == lang:
        response.set_cookie(
            SNIPPET_COOKIE, lang, max_age=SNIPPET_COOKIE_AGE, samesite="Lax", httponly=True
        )
    return response
