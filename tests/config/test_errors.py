"""DEBUG off: JSON errors under /api/ and /messenger/, friendly pages in the console,
never a stack trace; uncaught errors are logged without what the request carried."""

import json
import logging
from unittest import mock

import pytest
from django.test import Client

from tests.config.error_urls import INTERNAL_DETAIL
from tests.installcheck.traffic import send

pytestmark = pytest.mark.django_db

TRACE_MARKERS = ("Traceback", "RuntimeError", INTERNAL_DETAIL, 'File "')


@pytest.fixture
def failing_urls(settings):
    settings.ROOT_URLCONF = "tests.config.error_urls"
    assert settings.DEBUG is False


@pytest.fixture
def anon():
    return Client(raise_request_exception=False)


def no_trace(response):
    text = response.content.decode()
    for marker in TRACE_MARKERS:
        assert marker not in text
    return text


def json_error(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = json.loads(no_trace(response))
    assert body["error"] == code
    assert body["message"]
    return body


def friendly_page(response, status, heading):
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    text = no_trace(response)
    assert heading in text
    assert 'data-testid="error-page"' in text
    assert "Back to the console" in text
    return text


def test_an_api_view_that_raises_answers_json_500_and_is_logged(failing_urls, anon, caplog):
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = anon.get(
            "/api/v1/_test/boom/?password=s3cr3t-token-value", HTTP_X_SECRET="s3cr3t-token-value"
        )
    json_error(response, 500, "internal_error")
    assert response["Cache-Control"] == "no-store"
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelno == logging.ERROR
    assert "/api/v1/_test/boom/" in record.getMessage()
    assert "s3cr3t-token-value" not in caplog.text


def test_a_real_api_view_that_raises_goes_through_drf_to_json_500(anon, personas, caplog):
    anon.force_login(personas["admin"])
    with (
        mock.patch("workspaces.api.views.workspaces_of", side_effect=RuntimeError(INTERNAL_DETAIL)),
        caplog.at_level(logging.ERROR, logger="django.request"),
    ):
        response = anon.get("/api/v1/workspaces/")
    json_error(response, 500, "internal_error")
    assert any(r.name == "django.request" and r.levelno == logging.ERROR for r in caplog.records)


def test_the_gateway_answers_json_500_readable_cross_origin(workspace, caplog):
    client = Client(raise_request_exception=False)
    with (
        mock.patch("installcheck.ping.gateway.decide", side_effect=RuntimeError(INTERNAL_DETAIL)),
        caplog.at_level(logging.ERROR, logger="django.request"),
    ):
        response = send(workspace, user_id="42", user_hash="ab" * 32, client=client)
    json_error(response, 500, "internal_error")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "ab" * 32 not in caplog.text
    assert any(r.name == "django.request" for r in caplog.records)


def test_a_plain_gateway_view_that_raises_answers_json(failing_urls, anon):
    json_error(anon.get("/messenger/v1/_test/boom"), 500, "internal_error")


def test_a_console_view_that_raises_shows_the_friendly_page(failing_urls, anon, caplog):
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = anon.get("/_test/boom/")
    friendly_page(response, 500, "Something went wrong on our side")
    assert any(r.name == "django.request" for r in caplog.records)


@pytest.mark.parametrize(
    ("path", "code"),
    [("/api/v1/no-such-thing/", "not_found"), ("/messenger/v2/ping", "not_found")],
)
def test_unknown_api_and_gateway_paths_answer_json_404(anon, path, code):
    body = json_error(anon.get(path), 404, code)
    assert body["message"] == "Not found."


def test_unknown_gateway_path_404_is_readable_cross_origin(anon):
    assert anon.post("/messenger/v1/pong")["Access-Control-Allow-Origin"] == "*"


def test_unknown_console_path_shows_the_friendly_404(anon, personas):
    anon.force_login(personas["admin"])
    friendly_page(anon.get("/no-such-page/"), 404, "Page not found")


def test_an_outsider_gets_the_friendly_404_for_a_workspace(anon, personas, workspace):
    anon.force_login(personas["outsider"])
    friendly_page(anon.get(f"/w/{workspace.app_id}/security/"), 404, "Page not found")


def test_a_forbidden_console_view_shows_the_friendly_403(failing_urls, anon):
    friendly_page(anon.get("/_test/forbidden/"), 403, "You may not open this page")


@pytest.mark.parametrize(
    ("path", "json_expected"), [("/login/", False), ("/api/v1/workspaces/", True)]
)
def test_a_disallowed_host_gets_a_400_without_detail(anon, path, json_expected):
    response = anon.get(path, HTTP_HOST="evil.example.net")
    if json_expected:
        json_error(response, 400, "bad_request")
    else:
        friendly_page(response, 400, "That request could not be understood")
    assert "evil.example.net" not in response.content.decode()


def test_a_console_form_without_csrf_token_gets_the_expired_form_page(personas):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "admin", "password": "x"})
    text = friendly_page(response, 403, "This form has expired")
    assert "Error 403 · CSRF verification failed" in text


def test_a_plain_api_view_without_csrf_token_answers_json(failing_urls, personas):
    client = Client(enforce_csrf_checks=True)
    json_error(client.post("/api/v1/_test/plain/"), 403, "csrf_failed")


def test_the_api_keeps_drf_json_for_csrf_failures(personas):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas["admin"])
    response = client.post("/api/v1/workspaces/", {})
    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied"
    assert "CSRF" in response.json()["message"]


def test_a_browser_gets_json_from_the_api_not_the_browsable_page(personas):
    client = Client()
    client.force_login(personas["admin"])
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    for path in ("/api/v1/workspaces/", "/api/v1/workspaces/nope/audit/"):
        response = client.get(path, HTTP_ACCEPT=browser_accept)
        assert response["Content-Type"] == "application/json", path
