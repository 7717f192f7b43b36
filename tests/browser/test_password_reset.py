"""Password reset in Chromium, from the login page to the email link (received by a real
SMTP server) to logging in with the new password."""

import re

import pytest
from django.core.cache import cache

from tests.browser.conftest import keep_screenshots, login
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "a completely new passphrase 7"


def shot(page, name):
    keep_screenshots(page, "password-reset", name)


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
