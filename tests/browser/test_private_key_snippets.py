"""The JWT keys page in Chromium: the private-key snippets beside the public-key
registration, one language at a time, and Copy puts the tested file on the clipboard."""

import pytest
from django.urls import reverse

from security import snippets
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_language_tab_and_copy_on_the_keys_page(browser, live_server, workspace, personas):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    try:
        page = context.new_page()
        login(page, "admin")
        page.goto(reverse("security:jwt-keys", kwargs={"app_id": workspace.app_id}))
        card = page.get_by_test_id("private-key-snippets")
        assert card.locator("pre code").count() == 1
        card.get_by_role("link", name="Java", exact=True).click()
        page.wait_for_url("**?lang=java#private-key-snippets")
        (java,) = [s for s in snippets.SNIPPETS if s.slug == "java-pk"]
        assert card.locator("code#code-java-pk").text_content() == java.source
        assert card.locator('a[aria-current="page"]').text_content() == "Java"
        card.get_by_test_id("copy-java-pk").click()
        page.wait_for_function(
            "document.querySelector('[data-testid=copy-java-pk]').textContent === 'Copied'"
        )
        assert page.evaluate("navigator.clipboard.readText()") == java.source.strip()
    finally:
        context.close()
