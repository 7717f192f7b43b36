"""Issue 17 item 9: no console page overflows horizontally at phone (390 px) or desktop
(1280 px) width; wide tables scroll inside their own box. Each role opens every page of
its workspace menu, plus its profile and home; support its console, a workspace and a
rotation. One browser, one context per (role, width), each logged in once."""

from datetime import timedelta

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
from tests.browser.conftest import login
from tests.factories import make_user
from tests.installcheck.traffic import send, send_verified
from workspaces.actions import add_member, add_trusted_domain
from workspaces.models import Invitation
from workspaces.templatetags.verity import _pages

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (390, 1280)
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
# Which elements stick out past the window (said in the failure, to find the culprit).
WIDEST = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(-3).map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').slice(0, 60))"""


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
    rotate_messenger_key(workspace, actor=admin, grace_hours=24)
    _failing_jwks_source(workspace, admin)
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
    return workspace, request, (invitation, token)


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


def test_no_page_overflows_at_phone_or_desktop_width(browser, live_server, busy_workspace):
    workspace, rotation, (invitation, token) = busy_workspace
    common = [reverse("workspaces:profile"), reverse("workspaces:home")]
    pages = {
        role: [url for _, _, url in _pages(workspace.app_id, role)] + common
        for role in ("admin", "developer", "viewer")
    }
    pages["admin"].append(
        reverse(
            "workspaces:member-remove",
            kwargs={"app_id": workspace.app_id, "username": "a-rather-long-username-for-a-member"},
        )
    )
    # Not logged in: the invitation's page (a new account's form) and a dead link's page.
    pages[None] = [
        reverse("workspaces:invitation", kwargs={"pk": invitation.pk, "token": token}),
    ]
    dead = reverse("workspaces:invitation", kwargs={"pk": invitation.pk, "token": "x" * 43})
    # The JWT keys page's private-key snippets in their widest language.
    keys = reverse("security:jwt-keys", kwargs={"app_id": workspace.app_id})
    pages["admin"].append(f"{keys}?lang=csharp")
    pages["support"] = common + [
        reverse("security:support-home"),
        reverse("security:support-workspace", kwargs={"app_id": workspace.app_id}),
        reverse("security:support-rotation", kwargs={"pk": rotation.pk}),
        reverse("workspaces:audit-log", kwargs={"app_id": workspace.app_id}),
    ]
    overflowing = []
    for width in WIDTHS:
        for role, urls in pages.items():
            context = browser.new_context(
                base_url=live_server.url, viewport={"width": width, "height": 800}
            )
            try:
                page = context.new_page()
                if role is not None:
                    login(page, role)
                for url in urls + ([dead] if role is None else []):
                    response = page.goto(url)
                    expected = 404 if url == dead else 200
                    assert response.status == expected, (role, url, response.status)
                    extra = page.evaluate(OVERFLOW)
                    if extra > 0:
                        overflowing.append(f"{role} {url} at {width}px: {extra}px too wide")
                        wide = page.evaluate(WIDEST)
                        overflowing.append(f"  widest: {wide}")
            finally:
                context.close()
    assert overflowing == [], "\n".join(overflowing)
