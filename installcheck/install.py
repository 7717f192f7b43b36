"""The install page: the messenger snippet for the web, the ping contract for mobile SDKs,
and whether the gateway has heard from each platform yet."""

import json

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Max, Min
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from security.vocabulary import PLATFORM_CHOICES
from workspaces.access import workspace_for

from . import messenger, queries
from .limits import RETRY_AFTER_SECONDS
from .models import Installation
from .ping import PING_PATH

NAMES_SHOWN = 3
MOBILE_BUNDLES = {"ios": "com.example.shop", "android": "com.example.shop.android"}


def web_snippets(app_id, verity_origin):
    """(plain, strict) HTML for a customer's page, the app_id and SRI filled in."""
    src = verity_origin + messenger.versioned_path()
    tag = f'src="{src}"\n        integrity="{messenger.integrity()}" crossorigin="anonymous"'
    plain = f"""<script>
  window.veritySettings = {{
    app_id: "{app_id}",
    // For a logged-in user; leave these out for visitors. Made by YOUR server:
    user_id: "USER_ID",
    user_jwt: "MESSENGER_JWT",   // or user_hash: "USER_HASH"
    // Optional: a fresh token when the gateway says jwt_expired.
    jwtRefresh: function () {{
      return fetch("/messenger-token").then(function (r) {{ return r.json(); }})
        .then(function (body) {{ return body.user_jwt; }});
    }}
  }};
</script>
<script async {tag}></script>"""
    strict = f"""<script async {tag}
        data-app-id="{app_id}"
        data-user-id="USER_ID"
        data-user-jwt="MESSENGER_JWT"
        data-jwt-refresh-url="/messenger-token"></script>"""
    csp = f"script-src 'self' {verity_origin}; connect-src 'self' {verity_origin}"
    return plain, strict, csp


def mobile_example(app_id, platform):
    body = {
        "app_id": app_id,
        "platform": platform,
        "app_bundle": MOBILE_BUNDLES[platform],
        "app_version": "5.2.0",
        "user_id": "USER_ID",
        "user_jwt": "MESSENGER_JWT",
    }
    return json.dumps(body, indent=2)


def seen_by_platform(workspace):
    """{platform: {"count", "first_seen", "last_seen", "names"}} of platforms seen yet."""
    rows = (
        Installation.objects.filter(workspace=workspace)
        .values("platform")
        .annotate(count=Count("id"), first_seen=Min("first_seen"), last_seen=Max("last_seen"))
        .order_by()
    )
    seen = {row["platform"]: {**row, "names": []} for row in rows}
    for platform, entry in seen.items():
        entry["names"] = list(
            Installation.objects.filter(workspace=workspace, platform=platform)
            .order_by("-last_seen")
            .values_list("name", flat=True)[:NAMES_SHOWN]
        )
    return seen


@login_required
@require_GET
def install(request, app_id):
    workspace = workspace_for(request.user, app_id, "view")
    version = queries.live_version(workspace)
    if queries.unchanged(request, version):
        return HttpResponse(status=204)  # the "Seen so far" poll: nothing new
    origin = request.build_absolute_uri("/").rstrip("/")
    plain, strict, csp = web_snippets(workspace.app_id, origin)
    seen = seen_by_platform(workspace)
    platforms = [
        {
            "value": value,
            "label": label,
            "seen": seen.get(value),
            "example": None if value == "web" else mobile_example(workspace.app_id, value),
        }
        for value, label in PLATFORM_CHOICES
    ]
    return render(
        request,
        "installcheck/install.html",
        {
            "workspace": workspace,
            "live_version": version,
            "platforms": platforms,
            "plain_snippet": plain,
            "strict_snippet": strict,
            "strict_csp": csp,
            "script_url": origin + messenger.versioned_path(),
            "integrity": messenger.integrity(),
            "gzip_size": messenger.gzip_size(),
            "ping_url": origin + PING_PATH,
            "retry_after": RETRY_AFTER_SECONDS,
        },
    )
