"""The installation page in a real browser, with a real Celery worker behind it."""

import pytest

from tests.browser.conftest import login
from tests.installcheck.celery_worker import worker_fixture  # noqa: F401 (fixture)
from tests.installcheck.traffic import send, send_verified

pytestmark = [pytest.mark.browser, pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def test_admin_checks_the_installation_and_sees_the_table(page, personas, workspace, worker):
    from installcheck.counting import buffer

    # The fold pauses briefly so the page has a running job to show.
    worker(VERITY_FOLD_TEST_PAUSE="rename:2")
    for n in range(3):
        send_verified(workspace, f"u{n}")
    send(workspace, user_id="nohash", origin="https://legacy.example.com")
    buffer.flush()

    login(page, "admin")
    page.goto(f"/w/{workspace.app_id}/installation/")
    assert page.get_by_test_id("installations-empty").is_visible()

    page.get_by_test_id("check-installation").click()
    job = page.get_by_test_id("job")
    job.wait_for()
    assert job.get_attribute("data-state") in ("queued", "running")
    page.locator("[data-testid=job][data-state=running]").wait_for(timeout=20_000)

    page.get_by_test_id("job-done").wait_for(timeout=30_000)
    table = page.get_by_test_id("installations-table")
    table.wait_for()
    shop = table.locator("[data-name='shop.example.com'] [data-testid=status]")
    legacy = table.locator("[data-name='legacy.example.com'] [data-testid=status]")
    assert shop.inner_text().strip() == "verified"
    assert "missing_user_hash" in legacy.inner_text()
