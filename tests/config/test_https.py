"""HTTPS in production: redirect, HSTS, secure cookies, and a gateway that keeps working
behind a TLS-terminating proxy. The docs are not public."""

import json

import pytest
from django.test import Client

from tests.factories import PASSWORD
from tests.installcheck.traffic import send, send_verified

pytestmark = pytest.mark.django_db

HTTPS = {"HTTP_X_FORWARDED_PROTO": "https"}


@pytest.fixture
def behind_proxy(settings):
    """Production's HTTPS settings, with one proxy that sets X-Forwarded-Proto."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True


def test_plain_http_is_redirected_to_https(behind_proxy):
    response = Client().get("/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/login/"


def test_https_through_the_proxy_gets_hsts_and_secure_httponly_cookies(behind_proxy, personas):
    client = Client(**HTTPS)
    page = client.get("/login/")
    assert page.status_code == 200
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"

    response = client.post("/login/", {"username": "admin", "password": PASSWORD})
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def test_the_gateway_answers_through_the_proxy(behind_proxy, workspace):
    client = Client(**HTTPS)
    # Plain HTTP is refused, not redirected (a redirected POST loses its body): the
    # messenger must use https://.
    refused = send(workspace, user_id="42")
    assert (refused.status_code, refused.json()["error"]) == (403, "https_required")
    answer = send_verified(workspace, "42", client=client)
    assert (answer.status_code, json.loads(answer.content)["identity"]) == (200, "verified")
    assert answer["Strict-Transport-Security"].startswith("max-age=31536000")
    preflight = client.options(
        "/messenger/v1/ping",
        HTTP_ORIGIN="https://shop.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"


def test_a_forged_forwarded_proto_is_not_believed_without_a_declared_proxy(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = None
    assert Client(**HTTPS).get("/login/").status_code == 301


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/docs/?script="])
def test_the_api_description_is_not_public(path):
    response = Client().get(path)
    assert response.status_code == 401
    assert "openapi" not in response.content.decode().lower()
