"""Issue 17, charts, in Chromium: the trends pages at 390 and 1280 px. The charts scale
inside their box, the patterns defined once per page fill the missing and invalid bars,
the table behind each chart opens, and the CSP blocks nothing. Each page is also saved as
a screenshot in test-artifacts/ (trends-<platform>-<width>.png) for a person to look at."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from installcheck import fold as folding
from installcheck.counting import CountKey, buffer
from security.actions import secret_rotation
from security.vocabulary import hmac_reference
from tests.browser.conftest import ARTIFACTS, login

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (390, 1280)
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def add(workspace, days_ago, outcome, n, platform="web", code="", proof="", version=""):
    day = (timezone.now() - timedelta(days=days_ago)).strftime("%Y-%m-%d")
    name = "shop.example.com" if platform == "web" else "com.acme.app"
    key = CountKey(workspace.pk, platform, name, outcome, code, proof, version, day)
    for _ in range(n):
        buffer.add(key, timezone.now().timestamp())


@pytest.fixture
def month(workspace, personas, redis_client):
    """A month of web and iOS traffic that adopts proof day by day, and a web rotation."""
    request = secret_rotation.open_request(
        workspace,
        "web",
        mode="overlap",
        reason="routine",
        ticket="SUP-7",
        overlap_hours=48,
        actor=personas["admin"],
    )
    secret_rotation.rotate(request.pk, actor=personas["support"])
    old, new = hmac_reference("web", 1), hmac_reference("web", 2)
    for days_ago in range(29, -1, -1):
        add(workspace, days_ago, "verified", 40 - days_ago, proof=old)
        add(workspace, days_ago, "unverified", days_ago // 2, code="missing_user_hash")
        add(workspace, days_ago, "unverified", days_ago % 4, code="invalid_user_hash")
    add(workspace, 0, "verified", 25, proof=new)
    versions = ["5.3.0", "5.2.1", "5.2.0", "5.1.0", "5.0.2", "4.9.0-beta.1+build.417", "4.8.0"]
    for n, version in enumerate(versions * 2):
        add(
            workspace,
            n,
            "verified",
            30 - 3 * (n % 7),
            "ios",
            proof=hmac_reference("ios", 1),
            version=version,
        )
        add(workspace, n, "unverified", n % 7, "ios", code="missing_user_hash", version=version)
    add(workspace, 3, "unverified", 6, "ios", code="missing_user_hash", version="3.0.0")
    buffer.flush()
    folding.fold()
    return workspace


def test_the_trends_pages_read_at_phone_and_desktop_width(browser, live_server, month):
    ARTIFACTS.mkdir(exist_ok=True)
    problems = []
    for width in WIDTHS:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": 900}
        )
        violations = []
        try:
            page = context.new_page()
            # A CSP violation (an inline style or script) is a console error in Chromium.
            page.on(
                "console",
                lambda m, errors=violations: errors.append(m.text) if m.type == "error" else None,
            )
            login(page, "viewer")
            for platform in ("web", "ios", "android"):
                url = reverse(
                    "installcheck:trends", kwargs={"app_id": month.app_id, "platform": platform}
                )
                assert page.goto(url).status == 200
                if page.evaluate(OVERFLOW) > 0:
                    problems.append(f"{platform} at {width}px overflows")
                for box in page.locator("svg.chart-svg").all():
                    bounds = box.bounding_box()
                    if bounds["x"] < 0 or bounds["x"] + bounds["width"] > width:
                        problems.append(f"{platform} at {width}px: a chart leaves the page")
                    if width == 390 and bounds["width"] < 300:
                        problems.append(f"{platform} at 390px: a chart is {bounds['width']} px")
                if platform != "android":
                    # The patterns from _chart_defs.html fill the failing bars.
                    fill = page.locator("rect.s-missing").first.evaluate(
                        "r => getComputedStyle(r).fill"
                    )
                    assert "chart-pattern-missing" in fill, fill
                    details = page.locator("details.chart-numbers").first
                    details.locator("summary").click()
                    assert details.locator("table").is_visible()
                else:
                    assert page.get_by_test_id("trends-empty").is_visible()
                page.screenshot(path=ARTIFACTS / f"trends-{platform}-{width}.png", full_page=True)
                for n, chart in enumerate(page.locator("figure.chart").all()):
                    chart.screenshot(path=ARTIFACTS / f"trends-{platform}-{width}-chart{n}.png")
        finally:
            context.close()
        assert violations == [], violations
    assert problems == [], "\n".join(problems)


def test_each_platform_card_leads_to_its_trends(page, month):
    login(page, "admin")
    page.goto(reverse("security:overview", kwargs={"app_id": month.app_id}))
    card = page.get_by_test_id("platform-ios")
    card.get_by_test_id("trends-link-ios").click()
    page.wait_for_url("**/trends/ios/")
    assert page.locator("h1").inner_text() == "iOS trends"
    assert page.get_by_test_id("chart-versions").is_visible()
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(reverse("security:overview", kwargs={"app_id": month.app_id}))
    ARTIFACTS.mkdir(exist_ok=True)
    page.get_by_test_id("platform-web").screenshot(path=ARTIFACTS / "trends-link-card-390.png")
