"""Browser: an admin rotates the messenger key with a grace period, then debugs a token."""

import time

import jwt
import pytest

from tests.browser.conftest import login
from tests.factories import current_key

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_rotates_with_grace_and_debugs_a_token(page, workspace, personas):
    old_kid, old_key = current_key(workspace)
    login(page, "admin")

    page.goto(f"/w/{workspace.app_id}/jwt/")
    page.fill("input[name=grace_hours]", "6")
    page.click("[data-testid=rotate-form] button[type=submit]")
    page.wait_for_selector("text=is current; the previous key verifies for 6 more hours")

    rows = page.locator("[data-testid=jwt-keys] tbody tr")
    assert rows.count() == 2
    new_kid, _ = current_key(workspace)
    assert page.locator(f"tr[data-kid={new_kid}]").get_attribute("data-state") == "current"
    old_row = page.locator(f"tr[data-kid={old_kid}]")
    assert old_row.get_attribute("data-state") == "grace"
    assert "valid until" in old_row.inner_text()
    # A second rotation now asks what to do with the key still in grace.
    assert page.locator("select[name=older_key]").count() == 1

    # A token signed with the old key (still in grace) that has already expired.
    token = jwt.encode(
        {"user_id": "ann-42", "email": "ann@example.com", "exp": int(time.time()) - 600},
        old_key,
        algorithm="HS256",
        headers={"kid": old_kid},
    )
    page.click("nav.wsnav >> text=Token debugger")
    page.fill("textarea[name=token]", token)
    page.click("[data-testid=debugger-form] button[type=submit]")

    payload = page.locator("[data-testid=debug-payload]").inner_text()
    assert "ann-42" in payload and "ann@example.com" in payload
    errors = page.locator("[data-testid=debug-errors]").inner_text()
    assert "jwt_expired" in errors and "10 min ago" in errors
    result = page.locator("[data-testid=debug-result]").inner_text()
    assert old_kid in result and "grace" in result
    # Expired, but signed by a key of the workspace: authentic, not "untrusted".
    assert "untrusted" not in page.content()
    assert page.locator("[data-testid=payload-signed]").is_visible()
    assert old_key not in page.content()
