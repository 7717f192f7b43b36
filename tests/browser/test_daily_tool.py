"""The console as a daily tool, in Chromium: the API token survives a reload, support
staff land on their console, a refused page keeps its menu, the keyboard finds its way."""

import pytest
from django.urls import reverse

from tests.browser.conftest import login
from workspaces.models import ApiToken, AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_new_api_token_is_shown_once_and_a_reload_issues_no_other(page, personas):
    login(page, "developer")
    page.goto(reverse("workspaces:profile"))
    page.click('[data-testid="create-token"]')
    key = page.inner_text('[data-testid="api-token"]')
    assert key and key not in page.url
    page.reload()
    page.wait_for_selector("text=A token exists")
    assert page.query_selector('[data-testid="api-token"]') is None
    assert AuditEvent.objects.filter(action__startswith="api_token.").count() == 1
    assert ApiToken.objects.get(user=personas["developer"]).digest == ApiToken.digest_of(key)

    page.click('[data-testid="regenerate"]')
    page.wait_for_selector('[data-testid="regenerate-confirmation"]')
    assert ApiToken.objects.get(user=personas["developer"]).digest == ApiToken.digest_of(key)
    page.click('[data-testid="confirm-regenerate"]')
    new = page.inner_text('[data-testid="api-token"]')
    assert new != key
    assert ApiToken.objects.get(user=personas["developer"]).digest == ApiToken.digest_of(new)


def test_support_staff_land_on_the_support_console(page, personas):
    login(page, "support")
    assert page.url.endswith("/support/")
    assert page.inner_text('[data-testid="support-link"]') == "Support"


def test_a_viewer_refused_the_audit_log_keeps_the_menu_without_it(page, workspace, personas):
    login(page, "viewer")
    page.goto(f"/w/{workspace.app_id}/security/")
    assert page.query_selector(".wsnav >> text=Audit log") is None
    response = page.goto(f"/w/{workspace.app_id}/audit/")
    assert response.status == 403
    assert "Your role in this workspace (viewer)" in page.inner_text('[data-testid="error-page"]')
    page.click(".wsnav >> text=Trusted domains")
    page.wait_for_url(f"**/w/{workspace.app_id}/trusted-domains/")


def test_a_page_loads_without_a_failed_request_and_the_keyboard_finds_its_way(
    page, workspace, personas
):
    failed = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    login(page, "admin")
    page.goto(f"/w/{workspace.app_id}/security/")
    page.wait_for_load_state("networkidle")
    assert failed == []
    icon = page.get_attribute('link[rel="icon"]', "href")
    assert page.request.get(icon).status == 200

    page.keyboard.press("Tab")
    skip = page.locator('[data-testid="skip-link"]')
    assert skip.evaluate("e => e === document.activeElement")
    assert skip.bounding_box()["y"] >= 0  # shown on screen once focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    page.keyboard.press("Tab")
    outline = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth]; })()"
    )
    assert outline[0] != "none" and outline[1] != "0px", outline
