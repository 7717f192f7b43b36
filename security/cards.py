"""The per-platform cards of the security overview, shared by the page and the API."""

from django.http import Http404
from django.urls import NoReverseMatch, reverse

from workspaces.access import can

from . import crypto
from .confirmations import enforcement_figures
from .models import IdentitySecret, Platform, PlatformSettings, SecretState


def platform_label(platform):
    if platform not in Platform.values:
        raise Http404("No such platform.")
    return Platform(platform).label


def readiness_view(readiness):
    """The readiness summary prepared for display; None when there was no traffic yet."""
    if not readiness:
        return None
    share = readiness.get("share")
    return {
        **readiness,
        "percent": None if share is None else round(share * 100, 1),
        "rejected": enforcement_figures(readiness)["would_be_rejected"],
    }


def _readiness_partial_url(app_id, platform):
    # Built by the installcheck app when present; the overview works without it.
    try:
        return reverse("readiness-partial", kwargs={"app_id": app_id, "platform": platform})
    except NoReverseMatch:
        return None


def platform_cards(workspace):
    may_see_secrets = can(workspace.role, "see_secrets")
    secrets = {
        s.platform: s
        for s in IdentitySecret.objects.filter(workspace=workspace, state=SecretState.CURRENT)
    }
    cards = []
    for row in PlatformSettings.objects.filter(workspace=workspace).select_related("changed_by"):
        secret = secrets.get(row.platform)
        cards.append(
            {
                "settings": row,
                "platform": row.platform,
                "label": Platform(row.platform).label,
                "secret_version": secret.version if secret else None,
                "masked": crypto.mask(secret.plaintext()) if secret and may_see_secrets else None,
                "readiness": readiness_view(row.readiness),
                "readiness_url": _readiness_partial_url(workspace.app_id, row.platform),
            }
        )
    order = {p: n for n, p in enumerate(Platform.values)}
    return sorted(cards, key=lambda card: order[card["platform"]])
