"""Issue 17 #13: every confirmation's and form's Cancel is the same component
(templates/_cancel.html: a link back drawn as a secondary button), never a bare link on one
page and a button on another."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from security.actions.platforms import record_readiness, set_enforcement
from tests.security.test_overview import READINESS
from workspaces.actions import add_trusted_domain, record_origins_seen
from workspaces.models import TrustedDomain

pytestmark = pytest.mark.django_db

COMPONENT = "_cancel.html"
# A visible "Cancel" written by hand in a template: >Cancel< between tags.
HAND_MADE = re.compile(r">\s*Cancel\s*<", re.IGNORECASE)


def template_files():
    roots = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
    roots += [Path(settings.BASE_DIR) / app / "templates" for app in ("workspaces", "security")]
    return [path for root in roots if root.is_dir() for path in root.rglob("*.html")]


def test_no_template_writes_its_own_cancel():
    files = template_files()
    assert any(path.name == COMPONENT for path in files)
    hand_made = [
        str(path) for path in files if path.name != COMPONENT and HAND_MADE.search(path.read_text())
    ]
    assert hand_made == []


class Cancels(HTMLParser):
    """Every <a> or <button> whose text is "Cancel", with its class attribute."""

    def __init__(self):
        super().__init__()
        self.found, self._open = [], None

    def handle_starttag(self, tag, attrs):
        if tag in ("a", "button"):
            self._open = {"tag": tag, "class": dict(attrs).get("class") or "", "text": ""}

    def handle_data(self, data):
        if self._open is not None:
            self._open["text"] += data

    def handle_endtag(self, tag):
        if self._open is not None and tag == self._open["tag"]:
            if self._open["text"].strip().lower() == "cancel":
                self.found.append(self._open)
            self._open = None


def cancels(response):
    assert response.status_code == 200
    parser = Cancels()
    parser.feed(response.content.decode())
    return parser.found


def test_every_confirmation_shows_the_same_cancel(client, workspace, personas):
    admin = personas["admin"]
    client.force_login(admin)
    app = workspace.app_id
    add_trusted_domain(workspace, "shop.example.com", confirm=True, actor=admin)
    domain = TrustedDomain.objects.get(workspace=workspace)
    key = workspace.jwt_keys.first()
    # A token (shown once, on the page the POST redirects to), so that it can be replaced.
    client.post(reverse("workspaces:profile"), follow=True)
    record_readiness(workspace.pk, "web", READINESS)
    record_readiness(workspace.pk, "ios", READINESS)
    set_enforcement(workspace, "ios", True, actor=admin)
    pages = {
        "profile": client.get(reverse("workspaces:profile") + "?regenerate=1"),
        "remove domain": client.get(
            reverse("workspaces:trusted-domain-remove", kwargs={"app_id": app, "pk": domain.pk})
        ),
        "revoke key": client.get(
            reverse("security:jwt-revoke", kwargs={"app_id": app, "kid": key.kid})
        ),
        "enforce": client.post(
            reverse("security:platform-change", kwargs={"app_id": app, "platform": "web"}),
            {"flag": "enforced", "value": "on"},
        ),
        "version policy": client.post(
            reverse("security:version-policy", kwargs={"app_id": app, "platform": "ios"}),
            {"enforce_from_version": "1.0.0"},
        ),
    }
    # The first trusted domain, in another workspace state: no domain yet, origins seen.
    TrustedDomain.objects.filter(workspace=workspace).delete()
    record_origins_seen(
        workspace.pk, [{"name": "other.example.net", "last_seen": domain.created_at, "requests": 3}]
    )
    pages["first domain"] = client.post(
        reverse("workspaces:trusted-domains", kwargs={"app_id": app}),
        {"domain": "shop.example.com"},
    )
    for name, response in pages.items():
        found = cancels(response)
        assert len(found) == 1, (name, found)
        (cancel,) = found
        assert cancel["tag"] == "a", name
        assert set(cancel["class"].split()) == {"button", "cancel"}, name
