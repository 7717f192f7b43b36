"""The console's 403 and 405 pages: a true sentence, the navigation kept, a way back; and
each refused request logged once, on one line."""

import io
import logging

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser():
    return Client(raise_request_exception=False)


def test_a_viewer_opening_the_support_console_is_told_it_is_for_support_staff(browser, personas):
    browser.force_login(personas["viewer"])
    response = browser.get("/support/")
    assert response.status_code == 403
    text = response.content.decode()
    assert "for vendor support staff only" in text
    assert "role in this workspace" not in text


def test_a_member_refused_by_role_is_told_their_role(browser, workspace, personas):
    browser.force_login(personas["developer"])
    response = browser.get(reverse("workspaces:audit-log", args=[workspace.app_id]))
    assert response.status_code == 403
    assert "Your role in this workspace (developer) does not allow this" in (
        response.content.decode()
    )


def test_a_403_inside_a_workspace_keeps_the_top_bar_and_the_navigation(
    browser, workspace, personas
):
    browser.force_login(personas["viewer"])
    response = browser.get(reverse("workspaces:audit-log", args=[workspace.app_id]))
    text = response.content.decode()
    assert 'data-testid="error-page"' in text
    assert 'class="wsnav"' in text
    assert reverse("security:overview", args=[workspace.app_id]) in text
    assert 'data-testid="current-workspace"' in text
    assert "Log out" in text and personas["viewer"].username in text


def test_a_403_never_shows_the_navigation_of_a_workspace_to_a_non_member(
    browser, workspace, personas
):
    """A support page names a workspace in its URL: a non-member refused there learns
    nothing of it, neither its menu nor its name."""
    browser.force_login(personas["outsider"])
    response = browser.get("/support/w/" + workspace.app_id + "/")
    assert response.status_code == 403
    text = response.content.decode()
    assert 'class="wsnav"' not in text
    assert workspace.display_name not in text


def test_a_get_on_a_post_only_console_route_is_a_friendly_405_with_a_way_back(
    browser, workspace, personas
):
    browser.force_login(personas["admin"])
    response = browser.get(f"/w/{workspace.app_id}/security/web/change")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    text = response.content.decode()
    assert "This address is not a page" in text
    back = reverse("security:overview", args=[workspace.app_id])
    assert f'href="{back}" data-testid="error-back"' in text
    assert 'class="wsnav"' in text


def test_a_405_outside_a_workspace_links_to_the_console(browser, personas):
    browser.force_login(personas["admin"])
    response = browser.get(reverse("workspaces:logout"))
    assert response.status_code == 405
    assert 'href="/" data-testid="error-back"' in response.content.decode()


def test_the_api_keeps_its_json_405(browser, workspace, personas):
    browser.force_login(personas["admin"])
    response = browser.get(f"/api/v1/workspaces/{workspace.app_id}/hash-check")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"


@pytest.fixture
def server_log():
    """What the configured console handler (settings.LOGGING) would print."""
    config = settings.LOGGING
    plain = dict(config["formatters"]["plain"])
    formatter = plain.pop("()")(**plain)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(config["filters"]["once"]["()"]())
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def test_a_403_is_logged_once_on_one_line_without_a_traceback(
    browser, workspace, personas, server_log
):
    browser.force_login(personas["viewer"])
    path = reverse("workspaces:audit-log", args=[workspace.app_id])
    assert browser.get(path).status_code == 403
    # runserver's access line for the same answer (django.core.servers.basehttp).
    logging.getLogger("django.server").warning(
        '"GET %s HTTP/1.1" 403 2268', path, extra={"status_code": 403}
    )
    lines = [line for line in server_log.getvalue().splitlines() if path in line]
    assert len(lines) == 1, server_log.getvalue()
    assert "Forbidden" in lines[0]
    assert "Traceback" not in server_log.getvalue()


def test_a_server_error_keeps_its_traceback(server_log):
    try:
        raise RuntimeError("kept")
    except RuntimeError:
        logging.getLogger("django.request").error(
            "Internal Server Error: /x", exc_info=True, extra={"status_code": 500}
        )
    assert "Traceback" in server_log.getvalue()


def test_djangos_own_console_handlers_do_not_print_a_second_copy():
    assert logging.getLogger("django").handlers == []
    assert logging.getLogger("django.server").handlers == []


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


def test_under_debug_an_unknown_path_shows_the_products_404(debug_on, browser, personas):
    browser.force_login(personas["admin"])
    response = browser.get("/no-such-page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert 'data-testid="error-page"' in text and "Page not found" in text
    assert "URLconf" not in text and "admin/" not in text


def test_under_debug_a_raised_404_shows_the_products_404(debug_on, browser, workspace, personas):
    browser.force_login(personas["outsider"])
    response = browser.get(f"/w/{workspace.app_id}/security/")
    assert response.status_code == 404
    assert 'data-testid="error-page"' in response.content.decode()
    assert "Raised by" not in response.content.decode()


def test_under_debug_a_views_own_404_answer_is_kept(debug_on, browser, settings):
    settings.ROOT_URLCONF = "tests.config.error_urls"
    response = browser.get("/_test/own-404/")
    assert response.status_code == 404
    assert response.content.decode() == "this view's own answer"


def test_under_debug_a_real_exception_keeps_djangos_debug_page(debug_on, browser, settings):
    settings.ROOT_URLCONF = "tests.config.error_urls"
    response = browser.get("/_test/boom/")
    assert response.status_code == 500
    assert "Traceback" in response.content.decode()


def test_under_debug_the_api_keeps_its_json_404(debug_on, browser, personas):
    browser.force_login(personas["admin"])
    response = browser.get("/api/v1/workspaces/nope/audit/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
