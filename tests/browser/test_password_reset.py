"""Password reset in Chromium, from the login page to the email link (received by a real
SMTP server) to logging in with the new password."""

import os
import re
from pathlib import Path

import pytest
from django.core.cache import cache

from tests.browser.conftest import login
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "a completely new passphrase 7"
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "password-reset"


def shot(page, name):
    """VERITY_SCREENSHOTS=1 keeps each page at 1280 and 390 px for a human to look at."""
    if not os.environ.get("VERITY_SCREENSHOTS"):
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=SHOTS / f"{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_a_forgotten_password_is_reset_from_the_email_link(page, live_server, smtp_server):
    cache.clear()
    make_user("alice", email="alice@acme.test")
    page.goto("/login/")
    page.click('[data-testid="forgot-password"]')
    shot(page, "1-form")
    page.fill("input[name=email]", "alice@acme.test")
    page.click("button[type=submit]")
    page.wait_for_selector('[data-testid="password-reset-done"]')
    shot(page, "2-sent")

    [message] = smtp_server.messages
    link = re.search(r"http://\S+/password-reset/\S+/", message.get_content()).group(0)
    assert link.startswith(live_server.url)
    page.goto(link)
    page.wait_for_selector('[data-testid="password-reset-confirm-form"]')
    shot(page, "3-new-password")
    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector('[data-testid="password-reset-complete"]')
    shot(page, "4-complete")

    login(page, "alice", NEW_PASSWORD)
    assert "/login/" not in page.url
    page.goto(link)
    page.wait_for_selector('[data-testid="password-reset-invalid"]')
    shot(page, "5-used-link")
