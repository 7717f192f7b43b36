"""The console in a real browser: the admin's path and the viewer's read-only view."""

import os
from pathlib import Path

import pytest

from security.actions.platforms import record_readiness
from security.models import PlatformSettings
from tests.browser.conftest import login
from tests.factories import PASSWORD, secret_of
from tests.security.test_overview import READINESS
from workspaces.actions import add_member

pytestmark = pytest.mark.django_db(transaction=True)

# VERITY_SCREENSHOTS=1 keeps a picture of every page for a human to look at.
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"


def shot(page, name):
    if os.environ.get("VERITY_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def test_admin_enforces_reveals_trusts_and_audits(page, workspace, personas):
    add_member(workspace.twin, personas["admin"], "admin")
    record_readiness(workspace.pk, "web", READINESS)
    login(page, "admin")
    shot(page, "home")
    page.get_by_role("link", name="Acme", exact=True).click()
    page.wait_for_selector('[data-testid="platform-web"]')
    assert page.inner_text('[data-testid="current-workspace"]') == "Acme"
    shot(page, "overview")

    page.click('[data-testid="toggle-enforced-web"]')
    confirmation = page.wait_for_selector('[data-testid="confirmation"]')
    assert "20 of 120" in confirmation.inner_text()
    assert "old.example.com" in confirmation.inner_text()
    shot(page, "confirm")
    page.click('[data-testid="confirm"]')
    page.wait_for_selector("text=Enforcement for Web is now on.")
    assert PlatformSettings.objects.get(workspace=workspace, platform="web").enforced

    page.click('[data-testid="reveal-ios"]')
    page.fill('[data-testid="reauth-ios"] input[name=password]', PASSWORD)
    shot(page, "reauth")
    page.click('[data-testid="reauth-ios"] button[type=submit]')
    revealed = page.wait_for_selector('[data-testid="secret-ios"]')
    assert revealed.inner_text() == secret_of(workspace, "ios")
    shot(page, "revealed")

    page.click('[data-testid="twin-switch"]')
    page.wait_for_selector('[data-testid="platform-web"]')
    assert page.inner_text('[data-testid="current-workspace"]') == "[TEST] Acme"
    assert page.url.endswith(f"/w/{workspace.twin.app_id}/security/")
    page.click('[data-testid="twin-switch"]')
    page.wait_for_url(f"**/w/{workspace.app_id}/security/")

    page.get_by_role("link", name="Trusted domains").click()
    page.wait_for_selector('[data-testid="first-domain-warning"]')
    page.fill("input[name=domain]", "https://shop.example.com")
    page.click("text=Add domain")
    page.wait_for_selector("text=without https://")
    page.fill("input[name=domain]", "shop.example.com")
    page.click("text=Add domain")
    page.wait_for_selector('[data-testid="domain-list"] >> text=shop.example.com')
    shot(page, "domains")

    page.get_by_role("link", name="Audit log").click()
    table = page.wait_for_selector('[data-testid="audit-table"]')
    text = table.inner_text()
    for action in ("platform.enforced", "secret.revealed", "trusted_domain.added"):
        assert action in text
    assert secret_of(workspace, "ios") not in page.content()
    shot(page, "audit")


def test_viewer_finds_the_toggles_disabled(page, workspace, personas):
    login(page, "viewer")
    page.goto(f"/w/{workspace.app_id}/security/")
    toggle = page.wait_for_selector('[data-testid="toggle-enforced-web"]')
    assert toggle.is_disabled()
    assert page.is_disabled('[data-testid="toggle-hmac_allowed-android"]')
    assert "Only workspace admins can change this." in page.inner_text(
        '[data-testid="role-notice"]'
    )
    assert page.query_selector('[data-testid="reveal-web"]') is None
    shot(page, "viewer")


def test_wrong_login_is_refused_in_the_browser(page, personas):
    page.goto("/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Please enter a correct username and password")
    shot(page, "login-error")
