"""Issue 17, "done means": every console page, as each role, at phone (390 px) and desktop
(1280 px) width, has no horizontal overflow (item 9: wide tables scroll inside their own
box) and no axe-core violation of impact serious or critical.

axe-core is vendored for the tests (tests/browser/vendor/axe-core/, MPL-2.0, with its
licence) and evaluated in the page through the DevTools protocol, which the page's strict
CSP does not govern; nothing is added to the pages themselves.

Lean for CI: one browser, one context and one login per role; each page is loaded once and
measured at both widths by resizing the viewport.

To walk a new page, add a row to ``EXTRA_PAGES`` (or, for a workspace menu entry, to
``WORKSPACE_PAGES`` in workspaces/templatetags/verity.py: the walk follows each role's menu).
"""

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.urls import reverse
from django.utils import timezone

from installcheck import fold as folding
from installcheck.counting import buffer
from security import jwks
from security.actions import jwks as jwks_actions
from security.actions import secret_rotation
from security.actions.jwt_keys import rotate_messenger_key
from security.actions.platforms import set_enforcement, set_version_policy
from tests.browser.conftest import ARTIFACTS, login
from tests.factories import make_user
from tests.installcheck.traffic import send, send_verified
from workspaces.actions import add_member, add_trusted_domain
from workspaces.models import Invitation, TrustedDomain
from workspaces.templatetags.verity import _pages

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (390, 1280)
ROLES = ("admin", "developer", "viewer", "support")
EVERYONE = ROLES
MEMBERS = ("admin", "developer", "viewer")
NEXT_FRAMES = "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
# Which elements stick out past the window (said in the failure, to find the culprit).
WIDEST = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(-3).map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').slice(0, 60))"""
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
# Impacts that fail the walk (axe's scale: minor, moderate, serious, critical).
FAILING_IMPACTS = ("serious", "critical")
AXE_RUN = """async (impacts) => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => impacts.includes(v.impact))
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
    }));
}"""

# Pages beyond each role's workspace menu: (roles, url name, kwargs[, query]). A kwarg value
# naming a key of the walk's scenario ("app_id", "rotation", "kid", "domain", "member",
# "invitation", "token") is replaced by it.
EXTRA_PAGES = [
    (EVERYONE, "workspaces:profile", {}),
    (EVERYONE, "security:two-factor", {}),
    (EVERYONE, "security:two-factor-totp", {}),
    (MEMBERS, "installcheck:trends", {"app_id": "app_id", "platform": "web"}),
    (MEMBERS, "installcheck:trends", {"app_id": "app_id", "platform": "ios"}),
    (MEMBERS, "installcheck:trends", {"app_id": "app_id", "platform": "android"}),
    (("admin",), "workspaces:member-remove", {"app_id": "app_id", "username": "member"}),
    # The JWT keys page's private-key snippets in their widest language.
    (("admin",), "security:jwt-keys", {"app_id": "app_id"}, "?lang=csharp"),
    (MEMBERS, "workspaces:home", {}),
    (("admin",), "security:jwt-revoke", {"app_id": "app_id", "kid": "kid"}),
    (("admin",), "security:jwt-reveal", {"app_id": "app_id", "kid": "kid"}),
    (("admin",), "workspaces:trusted-domain-remove", {"app_id": "app_id", "pk": "domain"}),
    (("support",), "security:support-home", {}),
    (("support",), "security:support-workspace", {"app_id": "app_id"}),
    (("support",), "security:support-rotation", {"pk": "rotation"}),
    (("support",), "workspaces:audit-log", {"app_id": "app_id"}),
]
# Pages seen before logging in: (url name, kwargs, status); the invitation's page (a new
# account's form) and a dead link's page.
ANONYMOUS_PAGES = [
    ("workspaces:login", {}, 200),
    ("workspaces:password-reset", {}, 200),
    ("workspaces:invitation", {"pk": "invitation", "token": "token"}, 200),
    ("workspaces:invitation", {"pk": "invitation", "token": "x" * 43}, 404),
]


@pytest.fixture
def busy_workspace(workspace, personas, redis_client):
    """Long values everywhere a table can grow: origins, versions, audit rows, a rotation."""
    admin = personas["admin"]
    for n in range(3):
        send_verified(workspace, f"user-{n}", origin=f"https://very-long-shop-name-{n}.example.com")
    send(workspace, user_id="eve", user_hash="0" * 64, origin="https://bad.example.com")
    send(workspace, user_id="mallory", origin="https://unknown-origin.example.net")
    send_verified(workspace, "m", platform="ios", app_bundle="com.acme.app", app_version="5.2.1")
    # A version policy: readiness's policy line and the app-version table's policy columns.
    set_enforcement(workspace, "ios", True, actor=admin)
    set_version_policy(workspace, "ios", "5.2.0", timezone.now() + timedelta(days=90), actor=admin)
    send(workspace, "ios", user_id="o", app_bundle="com.acme.app", app_version="5.1.0-beta.12+417")
    buffer.flush()
    folding.fold()
    add_trusted_domain(workspace, "very-long-shop-name-0.example.com", confirm=True, actor=admin)
    set_enforcement(workspace, "android", True, actor=admin)
    key = rotate_messenger_key(workspace, actor=admin, grace_hours=24)
    request = secret_rotation.open_request(
        workspace,
        "ios",
        mode="overlap",
        reason="routine",
        ticket="SUP-4242",
        overlap_hours=48,
        actor=admin,
    )
    secret_rotation.rotate(request.pk, actor=personas["support"])
    long_name = make_user(
        "a-rather-long-username-for-a-member", email="a.rather.long.address@subsidiary.example.com"
    )
    add_member(workspace, long_name, "developer")
    invitation = Invitation.objects.create(
        workspace=workspace,
        email="someone.with.a.long.address@partner-company.example.org",
        role="viewer",
        invited_by=admin,
        expires_at=timezone.now() + timedelta(days=7),
        sent_at=timezone.now(),
        times_sent=2,
    )
    token = invitation.new_token()
    invitation.save()
    _failing_jwks_source(workspace, admin)
    return {
        "app_id": workspace.app_id,
        "rotation": request.pk,
        "kid": key.kid,
        "domain": TrustedDomain.objects.filter(workspace=workspace).first().pk,
        "member": long_name.username,
        "invitation": invitation.pk,
        "token": token,
    }


def _failing_jwks_source(workspace, admin):
    """A JWKS URL with a long URL, kid and error, whose fetches fail after a good one."""
    source = jwks_actions.register_jwks_url(
        workspace,
        jwks_url="https://identity.very-long-customer-domain.example.com/.well-known/jwks.json",
        actor=admin,
    )
    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    kid = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    good = jwks.KeySet(keys=({"kid": kid, "alg": "ES256", "pem": pem},))
    jwks_actions.record_success(source.pk, good)
    jwks_actions.record_failure(
        source.pk, "the host identity.very-long-customer-domain.example.com does not resolve"
    )


def resolve(name, kwargs, scenario):
    return reverse(name, kwargs={key: scenario.get(value, value) for key, value in kwargs.items()})


def pages_for(role, scenario):
    """The URLs ``role`` opens in the walk: its workspace menu, then EXTRA_PAGES."""
    urls = []
    if role in MEMBERS:
        urls += [url for _, _, url in _pages(scenario["app_id"], role)]
    for roles, name, kwargs, *query in EXTRA_PAGES:
        if role in roles:
            urls.append(resolve(name, kwargs, scenario) + "".join(query))
    return urls


def inspect(page, label, problems):
    """Measure the loaded page at each width: overflow, then axe."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.evaluate(NEXT_FRAMES)  # the page's resize handlers have run
        extra = page.evaluate(OVERFLOW)
        if extra > 0:
            problems.append(f"{label} at {width}px: {extra}px too wide")
            problems.append(f"  widest: {page.evaluate(WIDEST)}")
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(AXE_SOURCE)
        for violation in page.evaluate(AXE_RUN, list(FAILING_IMPACTS)):
            problems.append(
                f"{label} at {width}px: axe {violation['impact']} {violation['id']} "
                f"({violation['help']}) on {violation['nodes']}"
            )


def visit(page, url, label, problems, status=200):
    response = page.goto(url)
    assert response.status == status, (label, response.status)
    inspect(page, label, problems)


def test_every_page_fits_and_passes_axe_for_every_role(browser, live_server, busy_workspace):
    problems = []
    context = browser.new_context(base_url=live_server.url)
    try:
        page = context.new_page()
        for name, kwargs, status in ANONYMOUS_PAGES:
            url = resolve(name, kwargs, busy_workspace)
            visit(page, url, f"anonymous {url}", problems, status)
    finally:
        context.close()
    for role in ROLES:
        context = browser.new_context(base_url=live_server.url)
        try:
            page = context.new_page()
            login(page, role)
            for url in pages_for(role, busy_workspace):
                visit(page, url, f"{role} {url}", problems)
        finally:
            context.close()
    if problems:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "layout-walk.txt").write_text("\n".join(problems) + "\n")
    assert problems == [], "\n".join(problems)


def test_the_walk_fails_on_an_axe_violation(page, live_server):
    """The check itself: a page with an unlabelled field and a low-contrast text fails."""
    page.goto(reverse("workspaces:login"))
    page.evaluate(
        """() => {
          const input = document.createElement("input");
          input.type = "text";
          document.querySelector("main").append(input);
          const p = document.createElement("p");
          p.textContent = "faint";
          p.style.color = "#eee";
          document.querySelector("main").append(p);
        }"""
    )
    problems = []
    inspect(page, "login", problems)
    found = " ".join(problems)
    assert "label" in found
    assert "color-contrast" in found
