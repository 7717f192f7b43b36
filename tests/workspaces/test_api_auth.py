"""API authentication answers (issue 14): a missing or bad credential is a 401 with
``WWW-Authenticate: Token`` (RFC 9110), while a logged-in browser session still works and
still needs its CSRF token for unsafe calls."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from workspaces.models import ApiToken

pytestmark = pytest.mark.django_db

API = "/api/v1/workspaces/"


def domains_url(workspace):
    return f"/api/v1/workspaces/{workspace.app_id}/trusted-domains/"


def assert_challenged(response, error):
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["error"] == error


def test_a_call_without_credentials_is_a_401_with_a_token_challenge(workspace):
    assert_challenged(APIClient().get(API), "not_authenticated")
    assert_challenged(
        APIClient().post(domains_url(workspace), {"domain": "a.example"}, format="json"),
        "not_authenticated",
    )


@pytest.mark.parametrize(
    "header", ["Token nope", "Token ", "Token a b", "Token " + "x" * 500, "token nope"]
)
def test_a_bad_token_is_a_401_with_a_token_challenge(personas, header):
    ApiToken.issue(personas["viewer"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get(API)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_another_scheme_is_not_authenticated_and_told_which_one_to_use(personas):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Basic dmlld2VyOnB3")
    assert_challenged(api.get(API), "not_authenticated")


def test_an_inactive_users_token_is_a_401(personas):
    user = personas["viewer"]
    _, key = ApiToken.issue(user)
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert_challenged(api.get(API), "authentication_failed")


def test_a_valid_token_is_served(personas):
    _, key = ApiToken.issue(personas["viewer"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(API).status_code == 200


def test_a_logged_in_browser_session_is_served(workspace, personas):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(personas["viewer"])
    response = browser.get(API)
    assert response.status_code == 200
    assert [w["app_id"] for w in response.json()] == [workspace.app_id, workspace.twin.app_id]


def test_a_session_still_needs_its_csrf_token_for_unsafe_calls(workspace, personas):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(personas["admin"])
    browser.get("/profile/")  # sets the CSRF cookie, as any console page does
    token = browser.cookies["csrftoken"].value
    body = {"domain": "shop.example.com"}
    refused = browser.post(domains_url(workspace), body, content_type="application/json")
    assert (refused.status_code, refused.json()["error"]) == (403, "permission_denied")
    assert "WWW-Authenticate" not in refused
    assert not workspace.trusted_domains.exists()
    accepted = browser.post(
        domains_url(workspace), body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 201


def test_a_bad_token_beside_a_session_is_refused_not_ignored(workspace, personas):
    browser = APIClient()
    browser.force_login(personas["viewer"])
    browser.credentials(HTTP_AUTHORIZATION="Token nope")
    assert_challenged(browser.get(API), "authentication_failed")


def test_the_schema_documents_the_401_of_every_operation(personas):
    api = APIClient()
    api.force_authenticate(personas["viewer"])
    schema = api.get("/api/schema/?format=json").json()
    missing = [
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        if path.startswith("/api/")
        for method, operation in item.items()
        if method != "parameters"
        and operation["responses"].get("401", {}).get("content", {}).get("application/json")
        != {"schema": {"$ref": "#/components/schemas/Error"}}
    ]
    assert not missing
