"""Two-factor in Chromium: an authenticator app enrolled and used at login with a code
the test computes (django-otp's TOTP), a passkey registered and used at login and at a
reveal through Chromium's virtual authenticator (DevTools WebAuthn domain), and a
workspace that requires two-factor sending an unenrolled member to enrolment.

WebAuthn needs a secure context: the live server is http://localhost, which is one, and
the relying party ID is the page's host (localhost)."""

import re

import pytest
from django_otp_webauthn.models import WebAuthnCredential

from security.actions.two_factor import set_two_factor_required
from security.authenticator import AuthenticatorApp
from tests.browser.conftest import keep_screenshots
from tests.factories import PASSWORD, give_totp, secret_of, totp_code
from workspaces.actions import add_member
from workspaces.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)


def shot(page, name):
    keep_screenshots(page, "two-factor", name)


def assert_fits_a_phone(page):
    """No horizontal overflow at 390 px (the layout walk cannot reach a login step)."""
    page.set_viewport_size({"width": 390, "height": 800})
    extra = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 800})
    assert extra <= 0, f"{page.url} is {extra}px too wide at 390px"


def virtual_authenticator(page):
    """A platform authenticator (like Touch ID) that says yes to every request."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp


def password_step(page, username):
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector('[data-testid="second-factor"]')


def test_an_authenticator_app_is_enrolled_then_asked_at_login(page, workspace, personas):
    developer = personas["developer"]
    page.goto("/login/")
    page.fill("input[name=username]", "developer")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)

    page.goto("/profile/two-factor/")
    shot(page, "1-profile-none")
    page.click('[data-testid="setup-totp"]')
    page.wait_for_selector('[data-testid="totp-qr"]')
    secret = page.inner_text('[data-testid="totp-secret"]').replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    shot(page, "2-totp-setup")
    device = AuthenticatorApp.objects.get(user=developer, confirmed=False)
    page.fill("input[name=code]", "000000" if totp_code(device) != "000000" else "111111")
    page.click('[data-testid="confirm-totp"]')
    page.wait_for_selector("text=That code is not right")
    # A wrong code pauses the device for a second (django-otp's throttle).
    page.wait_for_timeout(1100)
    page.fill("input[name=code]", totp_code(device))
    page.click('[data-testid="confirm-totp"]')
    codes = page.wait_for_selector('[data-testid="recovery-codes"]')
    recovery = [code.inner_text() for code in codes.query_selector_all("code")]
    assert len(recovery) == 10
    shot(page, "3-enrolled-with-codes")
    page.reload()
    assert page.query_selector('[data-testid="recovery-codes"]') is None  # shown once

    page.click("button:has-text('Log out')")
    password_step(page, "developer")
    shot(page, "4-second-factor-code")
    assert_fits_a_phone(page)
    device.refresh_from_db()
    page.fill("input[name=code]", totp_code(device, offset=1))
    page.click('[data-testid="submit-code"]')
    page.wait_for_url(lambda url: "/login/" not in url)
    assert page.get_by_role("link", name="Acme", exact=True).is_visible()

    # A recovery code works once.
    for attempt in ("first", "second"):
        page.click("button:has-text('Log out')")
        password_step(page, "developer")
        page.fill("input[name=code]", recovery[0])
        page.click('[data-testid="submit-code"]')
        if attempt == "first":
            page.wait_for_url(lambda url: "/login/" not in url)
    page.wait_for_selector("text=That code is not right")
    shot(page, "4b-second-factor-wrong")
    actions = list(AuditEvent.objects.filter(actor=developer).values_list("action", flat=True))
    assert "two_factor.totp_added" in actions
    assert "two_factor.recovery_codes_created" in actions


def test_a_passkey_is_registered_then_used_at_login_and_for_a_reveal(page, workspace, personas):
    virtual_authenticator(page)
    page.goto("/login/")
    page.fill("input[name=username]", "developer")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)

    page.goto("/profile/two-factor/")
    page.fill('[data-testid="passkey-form"] input[name=name]', "Laptop")
    page.click('[data-testid="add-passkey"]')
    page.wait_for_selector('[data-testid="recovery-codes"]')
    assert page.inner_text('[data-testid="passkey-list"]').startswith("Laptop")
    shot(page, "5-passkey-added")
    credential = WebAuthnCredential.objects.get(user=personas["developer"])
    assert credential.confirmed and credential.name == "Laptop"

    page.click("button:has-text('Log out')")
    password_step(page, "developer")
    shot(page, "6-second-factor-passkey")
    assert_fits_a_phone(page)
    page.click('[data-testid="use-passkey"]')
    page.wait_for_url(lambda url: "/login/" not in url)

    # A reveal asks for the passkey, not the password.
    page.goto(f"/w/{workspace.app_id}/security/")
    page.click('[data-testid="reveal-ios"]')
    page.wait_for_selector('[data-testid="confirm-passkey"]')
    assert page.query_selector('[data-testid="reauth-ios"] input[name=password]') is None
    shot(page, "7-reveal-asks-passkey")
    assert_fits_a_phone(page)
    page.click('[data-testid="confirm-passkey"]')
    revealed = page.wait_for_selector('[data-testid="secret-ios"]')
    assert revealed.inner_text() == secret_of(workspace, "ios")
    assert AuditEvent.objects.filter(action="secret.revealed", actor=personas["developer"]).exists()


def test_a_reveal_asks_an_authenticator_user_for_a_code(page, workspace, personas):
    device = give_totp(personas["admin"])
    password_step(page, "admin")
    page.fill("input[name=code]", totp_code(device))
    page.click('[data-testid="submit-code"]')
    page.wait_for_url(lambda url: "/login/" not in url)
    page.goto(f"/w/{workspace.app_id}/security/")
    page.click('[data-testid="reveal-web"]')
    form = page.wait_for_selector('[data-testid="reauth-web"]')
    assert form.query_selector("input[name=password]") is None
    page.fill('[data-testid="reauth-web"] input[name=code]', totp_code(device, offset=1))
    page.click('[data-testid="reauth-web"] button[type=submit]')
    revealed = page.wait_for_selector('[data-testid="secret-web"]')
    assert revealed.inner_text() == secret_of(workspace, "web")

    # The admin's policy page, and removing the app asks for a code (not the password).
    page.goto(f"/w/{workspace.app_id}/two-factor/")
    page.check("input[name=require_two_factor]")
    page.click('[data-testid="save-policy"]')
    page.wait_for_selector("text=Two-factor is now required for members.")
    assert page.inner_text('[data-testid="policy-state"]') == "required"
    shot(page, "9-policy")
    assert_fits_a_phone(page)
    page.goto("/profile/two-factor/")
    page.click('[data-testid="remove-totp"]')
    page.wait_for_selector('[data-testid="remove-factor"] input[name=code]')
    assert page.query_selector('[data-testid="remove-factor"] input[name=password]') is None
    shot(page, "10-remove")
    assert_fits_a_phone(page)


def test_a_workspace_that_requires_two_factor_sends_an_unenrolled_member_to_enrol(
    page, workspace, personas
):
    give_totp(personas["admin"])
    add_member(workspace.twin, personas["viewer"], "viewer")
    set_two_factor_required(workspace, True, actor=personas["admin"])
    page.goto("/login/")
    page.fill("input[name=username]", "viewer")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    page.get_by_role("link", name="Acme", exact=True).click()
    page.wait_for_selector('[data-testid="two-factor-required"]')
    assert page.url.split("?")[0].endswith("/profile/two-factor/")
    shot(page, "8-required")
    # The test twin shares the setting.
    page.goto(f"/w/{workspace.twin.app_id}/security/")
    page.wait_for_selector('[data-testid="two-factor-required"]')
