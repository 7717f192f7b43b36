"""Issue 17 #5: the pages that say they follow what happens do, without a reload. The
installation page's table and readiness change as pings are folded; the install page's
"Seen so far" too; the support rotation page changes when the customer acts, and stops
asking once the request is final. Polls that find nothing new get 204 and swap nothing."""

import pytest
from django.urls import reverse

from installcheck import fold as folding
from installcheck.counting import buffer
from security.actions import secret_rotation
from security.models import RotationRequest
from tests.browser.conftest import login
from tests.installcheck.traffic import send, send_verified

pytestmark = pytest.mark.django_db(transaction=True)

# Set on the page's window: still there after the change means no reload happened.
MARK = "() => { window.__notReloaded = true; }"
NOT_RELOADED = "() => window.__notReloaded === true"
POLL_WAIT = 15_000


def fold(workspace, *pings):
    """Pings reach the gateway, are flushed and folded (what Celery beat does every 3 s)."""
    for ping in pings:
        ping()
    buffer.flush()
    folding.fold()


def test_the_installation_page_follows_the_pings(page, workspace, personas, redis_client):
    fold(workspace, lambda: send_verified(workspace, "alice", origin="https://shop.example.com"))
    url = reverse("installcheck:installations", kwargs={"app_id": workspace.app_id})
    polls = []
    page.on("response", lambda r: polls.append(r.status) if "v=" in r.url else None)
    login(page, "developer")
    page.goto(url)
    page.evaluate(MARK)
    assert page.locator('[data-testid="installation-row"]').count() == 1
    page.wait_for_timeout(5_500)  # a poll with nothing new: 204, nothing swapped
    assert 204 in polls and page.locator('[data-testid="installation-row"]').count() == 1

    pings = [
        lambda n=n: send_verified(workspace, f"u{n}", origin="https://new.example.com")
        for n in range(30)
    ]
    pings += [
        lambda n=n: send(workspace, user_id=f"x{n}", origin="https://new.example.com")
        for n in range(30)
    ]
    fold(workspace, *pings)

    row = page.locator('tr[data-name="new.example.com"]')
    row.wait_for(timeout=POLL_WAIT)
    assert row.locator("td").nth(4).inner_text() == "60"  # identified
    assert row.locator("td").nth(5).inner_text() == "30"  # verified
    web = page.locator('[data-testid="readiness-web"]')
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"readiness-web\"]').innerText.includes('61')",
        timeout=POLL_WAIT,
    )
    assert "31" in web.inner_text()
    assert page.evaluate(NOT_RELOADED)
    assert "refresh by themselves every few seconds" in page.inner_text("main")


def test_the_install_page_sees_the_first_request_arrive(page, workspace, personas, redis_client):
    login(page, "viewer")
    page.goto(reverse("installcheck:install", kwargs={"app_id": workspace.app_id}))
    page.evaluate(MARK)
    assert "not seen yet" in page.inner_text('[data-testid="seen-ios"]')
    fold(
        workspace, lambda: send_verified(workspace, "m", platform="ios", app_bundle="com.acme.app")
    )
    page.wait_for_selector('[data-testid="seen-ios"] >> text=com.acme.app', timeout=POLL_WAIT)
    assert page.evaluate(NOT_RELOADED)


def test_the_support_page_follows_the_customer(new_page, workspace, personas):
    request = secret_rotation.open_request(
        workspace,
        "web",
        mode="overlap",
        reason="routine",
        ticket="SUP-1",
        overlap_hours=24,
        actor=personas["support"],
    )
    support = new_page()
    login(support, "support")
    support.goto(reverse("security:support-rotation", kwargs={"pk": request.pk}))
    support.evaluate(MARK)
    assert "Waiting for the customer" in support.inner_text('[data-testid="waiting"]')
    assert support.is_disabled("button:has-text('Rotate secret')")

    # The customer's admin accepts on their own security overview, in another browser.
    customer = new_page()
    login(customer, "admin")
    customer.goto(reverse("security:overview", kwargs={"app_id": workspace.app_id}))
    customer.click('[data-testid="accept-rotation"] button')
    customer.wait_for_selector("text=Support can now rotate")

    support.wait_for_selector(
        '[data-testid="rotation-state"]:has-text("Accepted by the customer")', timeout=POLL_WAIT
    )
    assert support.query_selector('[data-testid="waiting"]') is None
    assert support.is_enabled("button:has-text('Rotate secret')")
    assert "Accepted by the customer." in support.inner_text(".timeline")
    assert support.evaluate(NOT_RELOADED)

    # A final state: the page stops asking.
    secret_rotation.cancel(request.pk, actor=personas["support"])
    support.wait_for_selector(
        '[data-testid="rotation-state"]:has-text("Cancelled")', timeout=POLL_WAIT
    )
    assert support.query_selector('[data-testid="rotation-poll"]') is None
    assert support.query_selector('[data-testid="live-note"]') is None
    asked = []
    support.on("request", lambda r: asked.append(r.url) if "/support/rotations/" in r.url else None)
    support.wait_for_timeout(4_000)
    assert asked == []
    assert RotationRequest.objects.get(pk=request.pk).state == "cancelled"
