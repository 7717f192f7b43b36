"""Issue 17 item 9: no console page overflows horizontally at phone (390 px) or desktop
(1280 px) width; wide tables scroll inside their own box. Each role opens every page of
its workspace menu, plus its profile and home; support its console, a workspace and a
rotation. One browser, one context per (role, width), each logged in once."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.urls import reverse

from installcheck import fold as folding
from installcheck.counting import buffer
from security import jwks
from security.actions import jwks as jwks_actions
from security.actions import secret_rotation
from security.actions.jwt_keys import rotate_messenger_key
from security.actions.platforms import set_enforcement
from tests.browser.conftest import login
from tests.installcheck.traffic import send, send_verified
from workspaces.actions import add_trusted_domain
from workspaces.templatetags.verity import _pages

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (390, 1280)
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def busy_workspace(workspace, personas, redis_client):
    """Long values everywhere a table can grow: origins, versions, audit rows, a rotation."""
    admin = personas["admin"]
    for n in range(3):
        send_verified(workspace, f"user-{n}", origin=f"https://very-long-shop-name-{n}.example.com")
    send(workspace, user_id="eve", user_hash="0" * 64, origin="https://bad.example.com")
    send(workspace, user_id="mallory", origin="https://unknown-origin.example.net")
    send_verified(workspace, "m", platform="ios", app_bundle="com.acme.app", app_version="5.2.1")
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
    return workspace, request


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
    workspace, rotation = busy_workspace
    common = [reverse("workspaces:profile"), reverse("workspaces:home")]
    pages = {
        role: [url for _, _, url in _pages(workspace.app_id, role)] + common
        for role in ("admin", "developer", "viewer")
    }
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
                login(page, role)
                for url in urls:
                    response = page.goto(url)
                    assert response.status == 200, (role, url, response.status)
                    extra = page.evaluate(OVERFLOW)
                    if extra > 0:
                        overflowing.append(f"{role} {url} at {width}px: {extra}px too wide")
            finally:
                context.close()
    assert overflowing == [], "\n".join(overflowing)
