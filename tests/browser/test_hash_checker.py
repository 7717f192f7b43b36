"""Browser: an admin checks a hash made from the email and reads the diagnosis."""

import pytest
from django.urls import reverse

from security.hashing import user_hash
from tests.browser.conftest import login
from tests.factories import secret_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_sees_why_a_hash_of_the_email_is_wrong(page, workspace, personas):
    login(page, "admin")
    page.goto(reverse("security:hash-checker", kwargs={"app_id": workspace.app_id}))
    made = user_hash(secret_of(workspace, "web"), "ann@example.com")
    page.select_option("select[name=platform]", "web")
    page.fill("input[name=user_id]", "42")
    page.fill("input[name=email]", "ann@example.com")
    page.fill("input[name=user_hash]", made)
    page.click("[data-testid=hash-check-form] button[type=submit]")

    result = page.locator("[data-testid=hash-check-result]")
    result.wait_for()
    assert "no match" in result.inner_text()
    diagnosis = page.locator("[data-testid=diagnosis]").inner_text()
    assert "email_hashed_instead_of_user_id" in diagnosis
    assert "Hash the user_id" in diagnosis
    expected = page.locator("[data-testid=expected-hash]").inner_text()
    assert expected == user_hash(secret_of(workspace, "web"), "42")
