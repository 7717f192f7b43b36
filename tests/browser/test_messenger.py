"""messenger.js in a real browser, embedded by the demo shop on a second origin
(http://shop.localhost:<port>, Chromium resolves *.localhost to loopback) and talking to
the live server's gateway across origins (CORS preflight included)."""

import threading
import time

import pytest

from demo import shop as demo_shop
from installcheck.counting import buffer
from installcheck.fold import fold
from security.actions.platforms import set_enforcement
from tests.browser.conftest import login
from tests.factories import current_key, secret_of
from workspaces.actions import add_trusted_domain

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Installed before any page script: collects every outcome messenger.js reports.
RECORD_OUTCOMES = """
window.outcomes = [];
window.Verity = function () { (window.Verity.q = window.Verity.q || []).push(arguments); };
window.Verity("onIdentity", function (o) { window.outcomes.push(o); });
"""


@pytest.fixture
def shop(live_server, workspace, personas, monkeypatch):
    """The demo shop on shop.localhost, its domain trusted by the workspace."""
    add_trusted_domain(workspace, "shop.localhost", actor=personas["admin"])
    kid, key = current_key(workspace)
    config = demo_shop.ShopConfig(
        app_id=workspace.app_id,
        verity=live_server.url,
        identity_secret=secret_of(workspace, "web"),
        jwt_key=key,
        jwt_kid=kid,
    )
    monkeypatch.setenv("VERITY_IDENTITY_SECRET", config.identity_secret)
    monkeypatch.setenv("VERITY_MESSENGER_KEY", key)
    monkeypatch.setenv("VERITY_MESSENGER_KID", kid)
    server = demo_shop.serve(demo_shop.Shop(config), "127.0.0.1", 0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://shop.localhost:{server.server_port}"
    server.shutdown()
    server.server_close()


class Watched:
    """A page with its console messages and its requests to the gateway."""

    def __init__(self, page):
        self.page = page
        self.console = []
        self.pings = []
        page.on("console", lambda m: self.console.append((m.type, m.text)))
        page.on(
            "request",
            lambda r: (
                r.method == "POST"
                and r.url.endswith("/messenger/v1/ping")
                and self.pings.append(time.monotonic())
            ),
        )

    def errors(self):
        """messenger.js's own errors (Chromium adds a line of its own per 4xx answer)."""
        return [text for kind, text in self.console if kind == "error" and "Verity" in text]

    def identity(self, url):
        """Open ``url`` and wait for the messenger's outcome shown by the shop's script."""
        self.page.goto(url)
        status = self.page.locator("[data-testid=verity-status][data-identity]")
        status.wait_for()
        return status.get_attribute("data-identity")


@pytest.fixture
def watched(new_page):
    def make():
        page = new_page()
        page.add_init_script(RECORD_OUTCOMES)
        return Watched(page)

    return make


def shop_login(watched_page, shop, user):
    watched_page.page.goto(shop + "/")
    watched_page.page.click(f"button[value={user}]")
    watched_page.page.get_by_test_id("who").wait_for()
    # The landing page's own ping is sent (its outcome shown) before a test counts pings.
    watched_page.page.locator("[data-testid=verity-status][data-identity]").wait_for()


def enforce_web(workspace, admin):
    set_enforcement(workspace, "web", True, actor=admin)
    time.sleep(1)  # every gateway process obeys within a second (config poll)


def test_the_shop_boots_and_the_installation_table_shows_its_origin(shop, watched, page, workspace):
    visitor = watched()
    assert visitor.identity(shop + "/") == "visitor"
    assert visitor.console == []  # a visitor boots silently
    alice = watched()
    shop_login(alice, shop, "alice")
    assert alice.identity(shop + "/") == "verified"
    bob = watched()
    shop_login(bob, shop, "bob")
    assert bob.identity(shop + "/") == "verified"
    assert alice.errors() == bob.errors() == []

    buffer.flush()
    fold()
    login(page, "developer")
    page.goto(f"/w/{workspace.app_id}/installation/")
    row = page.locator("[data-testid=installation-row][data-name='shop.localhost']")
    assert row.locator("[data-testid=status]").inner_text().strip() == "verified"
    page.goto(f"/w/{workspace.app_id}/install/")
    seen = page.get_by_test_id("seen-web").inner_text()
    assert "seen" in seen and "shop.localhost" in seen


def test_after_enforcement_mallory_is_refused_and_the_console_says_why(
    shop, watched, page, workspace, personas, live_server
):
    mallory = watched()
    assert mallory.identity(shop + "/mallory") == "unverified"
    [warning] = mallory.errors()
    assert "not verified (missing_user_hash" in warning

    enforce_web(workspace, personas["admin"])
    mallory.console.clear()
    assert mallory.identity(shop + "/mallory") == "refused"
    [error] = mallory.errors()
    outcome = mallory.page.evaluate("window.outcomes[window.outcomes.length - 1]")
    assert outcome["error"] == "missing_user_hash" and outcome["status"] == 403
    assert "refused (403 missing_user_hash)" in error
    assert f"request_id {outcome['request_id']}." in error
    link = f"{live_server.url}/w/{workspace.app_id}/hash-checker/?platform=web&user_id=alice"
    assert error.endswith(link)

    # The link opens the hash checker with the identifier filled in.
    login(page, "developer")
    page.goto(link)
    assert page.locator("input[name=user_id]").input_value() == "alice"


def test_the_strict_csp_page_boots_from_data_attributes(shop, watched):
    alice = watched()
    shop_login(alice, shop, "alice")
    response = alice.page.goto(shop + "/account")
    assert "script-src 'self' http://localhost" in response.headers["content-security-policy"]
    alice.page.locator("[data-testid=verity-status][data-identity]").wait_for()
    assert alice.page.get_by_test_id("verity-status").get_attribute("data-identity") == "verified"
    assert alice.errors() == []  # no CSP violation, no refusal


def test_an_expired_jwt_is_refreshed_once(shop, watched, workspace, personas):
    enforce_web(workspace, personas["admin"])
    alice = watched()
    shop_login(alice, shop, "alice")
    tokens = []
    alice.page.on("request", lambda r: r.url.endswith("/token") and tokens.append(r.url))
    alice.pings.clear()
    assert alice.identity(shop + "/?expired") == "verified"
    assert len(alice.pings) == 2 and len(tokens) == 1
    assert alice.errors() == []

    # A refresh that gives another expired token: one retry only, then the refusal.
    stale = alice.page.evaluate("window.veritySettings.user_jwt")
    alice.page.route(
        "**/token",
        lambda route: route.fulfill(
            status=200, content_type="application/json", json={"user_jwt": stale}
        ),
    )
    alice.pings.clear()
    tokens.clear()
    assert alice.identity(shop + "/?expired") == "refused"
    time.sleep(0.5)
    assert len(alice.pings) == 2 and len(tokens) == 1
    [error] = alice.errors()
    assert "refused (401 jwt_expired)" in error and "/jwt/debugger/?user_id=alice" in error


def fake_429(route, retry_after="0"):
    route.fulfill(
        status=429,
        content_type="application/json",
        headers={
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Expose-Headers": "Retry-After, X-Request-ID",
            "Retry-After": retry_after,
        },
        json={"error": "rate_limited", "message": "Too many requests.", "request_id": "r429"},
    )


def test_a_429_is_retried_a_bounded_number_of_times(shop, watched):
    bob = watched()
    shop_login(bob, shop, "bob")
    # Only the POSTs: a CORS preflight goes through to the gateway, as a real 429 would.
    bob.page.route(
        "**/messenger/v1/ping",
        lambda route: fake_429(route) if route.request.method == "POST" else route.continue_(),
    )
    bob.pings.clear()
    assert bob.identity(shop + "/") == "refused", bob.console
    time.sleep(1.5)  # nothing more comes: it never loops
    assert len(bob.pings) == 4  # the first try and 3 retries
    [error] = bob.errors()
    assert "refused (429 rate_limited)" in error and "request_id r429." in error


def test_retry_after_is_honoured_before_the_ping_goes_through(shop, watched):
    bob = watched()
    shop_login(bob, shop, "bob")
    answered = []

    def once_limited(route):
        if route.request.method != "POST" or answered:
            route.continue_()
            return
        answered.append(True)
        fake_429(route, retry_after="1")

    bob.page.route("**/messenger/v1/ping", once_limited)
    bob.pings.clear()
    assert bob.identity(shop + "/") == "verified"
    assert len(bob.pings) == 2
    assert bob.pings[1] - bob.pings[0] >= 0.9
    assert bob.errors() == []


def test_on_identity_reports_each_outcome(shop, watched, workspace, personas):
    alice = watched()
    shop_login(alice, shop, "alice")
    alice.identity(shop + "/")
    alice.page.evaluate("Verity('update', {user_jwt: 'not.a.token'})")
    alice.page.wait_for_function("window.outcomes.length === 2")
    alice.page.evaluate(
        "Verity('shutdown'); Verity('boot', {app_id: window.veritySettings.app_id})"
    )
    alice.page.wait_for_function("window.outcomes.length === 3")
    outcomes = alice.page.evaluate("window.outcomes")
    assert [o["identity"] for o in outcomes] == ["verified", "unverified", "visitor"]
    assert outcomes[1]["warning"] == "jwt_malformed"

    enforce_web(workspace, personas["admin"])
    mallory = watched()
    assert mallory.identity(shop + "/mallory") == "refused"
    [outcome] = mallory.page.evaluate("window.outcomes")
    assert outcome["error"] == "missing_user_hash" and outcome["status"] == 403
    assert outcome["request_id"]
