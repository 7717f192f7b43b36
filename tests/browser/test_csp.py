"""The console under its strict Content Security Policy in a real browser: every main page,
an htmx exchange, a data-confirm dialog and the API docs, with no policy violation."""

import pytest
from django.urls import reverse

from security.actions.platforms import record_readiness
from security.actions.secret_rotation import accept, open_request
from security.models import RotationRequest, RotationState
from tests.browser.conftest import login
from tests.factories import PASSWORD, make_user, secret_of
from tests.security.test_overview import READINESS

pytestmark = pytest.mark.django_db(transaction=True)

# Runs before any page script (Playwright injects it outside the page's policy) and keeps
# every violation the document reports.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(
    `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`
  );
});
"""


class Watched:
    """A page whose CSP violations (events and console messages) are collected."""

    def __init__(self, page):
        self.page = page
        self.console = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)

    def _console(self, message):
        text = message.text
        if "Refused to" in text or "Content Security Policy" in text:
            self.console.append(text)

    def violations(self):
        return self.console + self.page.evaluate("window.__violations || []")

    def assert_clean(self, where):
        self.page.wait_for_load_state("networkidle")
        assert self.violations() == [], where

    def visit(self, path, ready):
        response = self.page.goto(path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        self.page.wait_for_selector(ready)
        self.assert_clean(path)


def test_the_console_runs_under_the_strict_policy(new_page, workspace, personas):
    record_readiness(workspace.pk, "web", READINESS)
    app = workspace.app_id
    admin = Watched(new_page())

    admin.visit("/login/", "input[name=username]")
    login(admin.page, "admin")
    admin.assert_clean("after login")

    # The overview loads each platform's readiness with htmx (hx-trigger="load").
    admin.visit(f"/w/{app}/security/", '[data-testid="platform-web"]')

    admin.visit(f"/w/{app}/installation/", "#domain-table")
    admin.visit(f"/w/{app}/jwt/", "main h1")
    admin.visit(f"/w/{app}/jwt/debugger/", '[data-testid="debugger-form"]')
    admin.visit(f"/w/{app}/trusted-domains/", "input[name=domain]")
    admin.visit(f"/w/{app}/audit/", "main h1")
    admin.visit(f"/w/{app}/snippets/", "main h1")
    admin.visit("/profile/", "main h1")

    # An htmx exchange: the hash checker posts and swaps its result in.
    admin.visit(
        reverse("security:hash-checker", kwargs={"app_id": app}), "[data-testid=hash-check-form]"
    )
    admin.page.select_option("select[name=platform]", "web")
    admin.page.fill("input[name=user_id]", "42")
    admin.page.fill("input[name=user_hash]", "ab" * 32)
    admin.page.click("[data-testid=hash-check-form] button[type=submit]")
    admin.page.locator("[data-testid=hash-check-result]").wait_for()
    assert "no match" in admin.page.inner_text("[data-testid=hash-check-result]")
    admin.assert_clean("after the htmx hash check")

    # The API docs: Swagger UI from our own files, its start-up script a file too.
    admin.visit("/api/docs/", "#swagger-ui .information-container")
    admin.page.wait_for_selector("#swagger-ui .opblock")
    admin.assert_clean("/api/docs/")

    # The support console, and a data-confirm dialog: dismissed, then accepted.
    rotation = open_request(
        workspace,
        "web",
        mode="overlap",
        reason="staff_departure",
        ticket="SUP-1",
        actor=personas["support"],
        overlap_hours=24,
    )
    accept(rotation.pk, actor=personas["admin"])
    old_secret = secret_of(workspace, "web")
    support = Watched(new_page())
    login(support.page, "support")
    support.visit("/support/", "main h1")
    support.visit(f"/support/rotations/{rotation.pk}/", "text=Rotate secret")
    answers = iter(["dismiss", "accept"])
    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        getattr(dialog, next(answers))()

    support.page.on("dialog", answer)
    support.page.get_by_role("button", name="Rotate secret").click()
    assert questions == [f"Rotate the Web secret of {workspace.display_name} now?"]
    rotation.refresh_from_db()
    assert rotation.state == RotationState.ACCEPTED
    assert secret_of(workspace, "web") == old_secret

    support.page.get_by_role("button", name="Rotate secret").click()
    support.page.wait_for_selector("text=Secret rotated")
    assert len(questions) == 2
    assert RotationRequest.objects.get(pk=rotation.pk).state == RotationState.ROTATED
    assert secret_of(workspace, "web") != old_secret
    support.assert_clean("after the confirmed rotation")


def test_the_watch_does_report_a_violation(page, personas):
    """The test above is not clean because the watch is blind."""
    watched = Watched(page)
    watched.visit("/login/", "input[name=username]")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color:red\">x</p>')")
    page.wait_for_function("window.__violations.length > 0")
    assert any("style-src" in v for v in watched.violations())


def test_the_django_admin_runs_under_the_strict_policy(new_page, db):
    """The admin (users and groups) uses its own scripts and styles: none is inline."""
    superuser = make_user("csp-superuser", is_staff=True, is_superuser=True)
    watched = Watched(new_page())
    page = watched.page
    # The admin's login sends to the console's (password, then any second factor).
    watched.visit("/admin/login/", "input[name=username]")
    page.fill("input[name=username]", superuser.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    watched.assert_clean("after the admin login")
    watched.visit("/admin/", "#content-main")
    watched.visit("/admin/auth/user/", "#result_list")
    # The changelist's script runs: "select all" ticks every row.
    page.check("#action-toggle")
    assert page.is_checked(f"input.action-select[value='{superuser.pk}']")
    watched.assert_clean("after select-all")
    watched.visit(f"/admin/auth/user/{superuser.pk}/change/", "#user_form")
    watched.visit("/admin/auth/group/add/", "#group_form")
