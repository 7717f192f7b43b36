"""Template helpers shared by every console page."""

import json
from datetime import UTC, datetime

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from ..access import CAPABILITIES, is_support
from ..domains import unicode_host
from ..models import SUPPORT_ROLE, Membership, Role

register = template.Library()

# The workspace pages, in menu order: (label, url name, who may open it). Each takes
# app_id. "audit": admins, and support staff (their own actions: workspaces.audit).
WORKSPACE_PAGES = (
    ("Security", "security:overview", "view"),
    ("Hash checker", "security:hash-checker", "view"),
    ("JWT keys", "security:jwt-keys", "view"),
    ("Token debugger", "security:jwt-debugger", "view"),
    ("Install", "installcheck:install", "view"),
    ("Installation", "installcheck:installations", "view"),
    ("Trusted domains", "workspaces:trusted-domains", "view"),
    ("Code snippets", "security:snippets", "view"),
    ("Members", "workspaces:members", "view"),
    ("Audit log", "workspaces:audit-log", "audit"),
)


def _may_open(role, need):
    if need == "audit":
        return role in (Role.ADMIN, SUPPORT_ROLE)
    return role in CAPABILITIES[need]


def _pages(app_id, role=None):
    """The pages of a workspace, all of them (``role`` None) or those ``role`` may open."""
    for label, name, need in WORKSPACE_PAGES:
        if role is not None and not _may_open(role, need):
            continue
        try:
            yield label, name, reverse(name, kwargs={"app_id": app_id})
        except NoReverseMatch:
            continue


@register.inclusion_tag("workspaces/_nav.html", takes_context=True)
def workspace_nav(context, workspace):
    """The workspace's menu, without the pages the user's role cannot open."""
    request = context.get("request")
    current = getattr(getattr(request, "resolver_match", None), "view_name", None)
    # A workspace reaches a template through workspace_for (or audit_events_for), which
    # sets its role; without one, only what every member may open.
    role = getattr(workspace, "role", None) or Role.VIEWER
    return {"pages": list(_pages(workspace.app_id, role)), "current": current}


@register.filter
def workspace_home(workspace):
    """The first page of a workspace the console has."""
    return next((url for _, _, url in _pages(workspace.app_id)), "")


@register.simple_tag(takes_context=True)
def twin_url(context, workspace):
    """The same page in the twin workspace ("" when there is none, or for a non-member:
    support staff on a support page). A twin shares its workspace's member list."""
    twin = workspace.twin
    request = context.get("request")
    user = getattr(request, "user", None)
    if twin is None or user is None or not user.is_authenticated:
        return ""
    if not Membership.objects.filter(user=user, workspace_id=workspace.roster_id).exists():
        return ""
    match = getattr(request, "resolver_match", None)
    # Only pages addressed by app_id alone exist in both workspaces (an object id does not).
    if match is not None and set(match.kwargs) == {"app_id"}:
        try:
            return reverse(match.view_name, kwargs={"app_id": twin.app_id})
        except NoReverseMatch:
            pass
    return workspace_home(twin) or reverse("workspaces:home")


@register.filter
def minutes(duration):
    """A timedelta as "15 minutes" (the login cool-off)."""
    total = int(duration.total_seconds() // 60) if hasattr(duration, "total_seconds") else 0
    return f"{total} minute{'s' if total != 1 else ''}"


@register.simple_tag(takes_context=True)
def support_staff(context):
    """Whether the user is vendor support staff (the top bar links to the support console)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return user is not None and is_support(user)


@register.filter
def as_json(value):
    """A decoded JSON value (a token's header or payload) as indented JSON, not Python."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


@register.filter
def readable(value):
    """A value from an audit event's before or after, as a person reads it: yes/no, a
    dash for nothing, a list as its items, anything nested as JSON (never Python's repr)."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        if not value:
            return "(none)"
        if all(
            isinstance(item, str | int | float) and not isinstance(item, bool) for item in value
        ):
            return ", ".join(str(item) for item in value)
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def _moment(value):
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            return _moment(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return None
    return None


@register.filter
def when(value):
    """The one way the console shows a time: "2026-12-01 21:34 UTC", with the exact ISO
    time in the title (and the datetime attribute). Takes a datetime or an ISO string (the
    stored readiness, the token debugger); anything else is shown as it is, nothing as "–"."""
    moment = _moment(value)
    if moment is None:
        return value if value not in (None, "") else "–"
    utc = moment.astimezone(UTC)
    exact = utc.isoformat(timespec="seconds").replace("+00:00", "Z")
    return format_html(
        '<time datetime="{}" title="{}">{}</time>', exact, exact, utc.strftime("%Y-%m-%d %H:%M UTC")
    )


@register.filter
def host_unicode(host):
    """An IDNA host in Unicode (show the ASCII form beside it: that is what matches)."""
    return unicode_host(host)


@register.filter
def host(value):
    """A host name as people read it, with its ASCII (IDNA) form beside when they differ."""
    readable = unicode_host(value)
    if readable == value:
        return value
    return format_html(
        '{} <span class="muted small" title="The ASCII (IDNA) form browsers send">({})</span>',
        readable,
        value,
    )
