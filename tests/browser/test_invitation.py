"""Issue 15: an admin invites a developer from the console, nobody touches a shell. The
invitation arrives through a real SMTP server, the invitee opens its link in another
browser, sets a password and lands in the workspace with the developer role (no Audit
log in the menu, the member list read-only). VERITY_SCREENSHOTS=1 keeps each page at
1280 and 390 px in test-artifacts/invitation/."""

import re

import pytest

from tests.browser.conftest import keep_screenshots, login
from workspaces.access import membership_for
from workspaces.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "a brand new passphrase 42"
LINK = re.compile(r"http://\S+/invitations/\d+/\S+/")


def shot(page, name):
    keep_screenshots(page, "invitation", name)


def test_an_invited_developer_joins_from_the_email(
    new_page, live_server, workspace, personas, smtp_server
):
    admin = new_page()
    login(admin, "admin")
    admin.goto(f"/w/{workspace.app_id}/members/")
    admin.fill("input[name=email]", "dana@example.test")
    admin.select_option("select[name=role]", "developer")
    admin.click('[data-testid="invite"]')
    admin.wait_for_selector('[data-testid="invitation-list"]')
    assert "dana@example.test" in admin.inner_text('[data-testid="invitation-list"]')
    shot(admin, "1-members-admin")

    [message] = smtp_server.messages
    assert message.envelope_to == ["dana@example.test"]
    link = LINK.search(message.get_content()).group(0)
    assert link.startswith(live_server.url)

    dana = new_page()
    dana.goto(link)
    dana.wait_for_selector('[data-testid="accept-form"]')
    shot(dana, "2-accept")
    dana.fill("input[name=username]", "dana")
    dana.fill("input[name=password1]", "password")
    dana.fill("input[name=password2]", "password")
    dana.click('[data-testid="accept"]')
    dana.wait_for_selector(".field.has-error")
    assert "too common" in dana.inner_text("form")
    shot(dana, "3-weak-password")
    dana.fill("input[name=username]", "dana")
    dana.fill("input[name=password1]", NEW_PASSWORD)
    dana.fill("input[name=password2]", NEW_PASSWORD)
    dana.click('[data-testid="accept"]')
    dana.wait_for_url(f"**/w/{workspace.app_id}/**")
    assert dana.inner_text('[data-testid="current-workspace"]') == "Acme"
    assert "twin as developer" in dana.inner_text(".messages")
    menu = dana.inner_text("nav.wsnav")
    assert "Members" in menu and "Audit log" not in menu
    shot(dana, "4-landed")

    dana.click("nav.wsnav >> text=Members")
    dana.wait_for_selector('[data-testid="member-dana"]')
    assert "Developer" in dana.inner_text('[data-testid="member-dana"]')
    assert dana.locator('[data-testid="invite-form"]').count() == 0
    assert dana.locator("select[name=role]").count() == 0
    shot(dana, "5-members-developer")
    assert dana.goto(f"/w/{workspace.app_id}/audit/").status == 403

    dana_user = membership_for(personas["admin"].__class__.objects.get(username="dana"), workspace)
    assert dana_user.role == "developer"
    assert AuditEvent.objects.filter(action="invitation.accepted", actor_label="dana").exists()

    # The link worked once: opened again, it says so.
    again = new_page()
    assert again.goto(link).status == 410
    assert "already used" in again.inner_text("h1")
    shot(again, "6-used-link")

    # The admin's list: dana is a member, the invitation no longer pending.
    admin.goto(f"/w/{workspace.app_id}/members/")
    assert admin.locator('[data-testid="member-dana"]').count() == 1
    assert admin.locator('[data-testid="no-invitations"]').count() == 1


def test_removing_a_member_asks_first_and_the_last_admin_stays(page, workspace, personas):
    login(page, "admin")
    page.goto(f"/w/{workspace.app_id}/members/")
    page.click('[data-testid="remove-viewer"]')
    page.wait_for_selector('[data-testid="confirm-remove"]')
    shot(page, "7-confirm-remove")
    page.click('[data-testid="confirm-remove"]')
    page.wait_for_selector('[data-testid="member-list"]')
    assert page.locator('[data-testid="member-viewer"]').count() == 0

    page.select_option('[data-testid="role-admin"]', "viewer")
    page.click('[data-testid="change-role-admin"]')
    page.wait_for_selector('[data-testid="role-error"]')
    assert "last admin" in page.inner_text('[data-testid="role-error"]')
    shot(page, "8-last-admin")
