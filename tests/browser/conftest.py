"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's
live server. A failing test leaves a full-page screenshot in test-artifacts/."""

import os
from pathlib import Path

import pytest

from tests.factories import PASSWORD
from tests.services import require

CHROMIUM = os.environ.get("VERITY_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def keep_screenshots(page, folder, name):
    """VERITY_SCREENSHOTS=1 keeps the page at 1280 and 390 px, under
    test-artifacts/<folder>/, for a human to look at."""
    if not os.environ.get("VERITY_SCREENSHOTS"):
        return
    shots = ARTIFACTS / folder
    shots.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=shots / f"{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        require("Chromium", f"{CHROMIUM} not found (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls that tests
    # make around it are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server, request):
    """A factory of pages, each in its own browser context (its own cookies)."""
    contexts = []

    def make():
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for n, context in enumerate(contexts):
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            for m, page in enumerate(context.pages):
                page.screenshot(path=ARTIFACTS / f"{request.node.name}-{n}-{m}.png", full_page=True)
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def login(page, username, password=PASSWORD):
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url or "/second-factor/" in url)
    if "/second-factor/" in page.url:
        # The user has two-factor (support staff do outside DEBUG): a fresh recovery code.
        from django.contrib.auth import get_user_model

        from tests.factories import recovery_code

        user = get_user_model().objects.get(username=username)
        page.fill("input[name=code]", recovery_code(user))
        page.click("[data-testid=submit-code]")
        page.wait_for_url(lambda url: "/login/" not in url)
