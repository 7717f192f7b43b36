"""Template helpers shared by every console page."""

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()

# The workspace pages, in menu order: (label, url name). Each takes app_id.
WORKSPACE_PAGES = (
    ("Security", "overview"),
    ("Hash checker", "hash-checker"),
    ("JWT keys", "jwt-keys"),
    ("Token debugger", "jwt-debugger"),
    ("Installation", "installations"),
    ("Trusted domains", "trusted-domains"),
    ("Code snippets", "snippets"),
    ("Audit log", "audit-log"),
)


def _pages(app_id):
    for label, name in WORKSPACE_PAGES:
        try:
            yield label, name, reverse(name, kwargs={"app_id": app_id})
        except NoReverseMatch:
            continue


@register.inclusion_tag("workspaces/_nav.html", takes_context=True)
def workspace_nav(context, workspace):
    request = context.get("request")
    current = getattr(getattr(request, "resolver_match", None), "url_name", None)
    return {"pages": list(_pages(workspace.app_id)), "current": current}


@register.filter
def workspace_home(workspace):
    """The first page of a workspace the console has."""
    return next((url for _, _, url in _pages(workspace.app_id)), "")
