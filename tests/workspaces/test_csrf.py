"""CSRF on every state-changing route: every URL pattern of the project, walked from the
root URLconf, refuses POST, PUT, PATCH and DELETE from a logged-in browser session that
sends no CSRF token. A route added later without protection fails this test unless it is
listed in EXEMPT with its reason."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern
from rest_framework.test import APIClient

from tests.factories import make_user
from workspaces.actions import add_member
from workspaces.models import ApiToken

pytestmark = pytest.mark.django_db

UNSAFE = ("post", "put", "patch", "delete")

EXEMPT = {
    # The messenger gateway is called cross-origin by customers' pages and apps; it is
    # csrf_exempt and CORS-open by design, reads no cookie and acts for nobody: a request
    # proves who it is by its user_hash or JWT alone.
    "messenger/v1/ping": "cookie-less public gateway, proof in the body",
    # The catch-all under /api/ changes nothing and answers only a JSON 404; a CSRF 403
    # there would mislead token clients, which send no cookie, about a mistyped route.
    "^api/": "acts on nothing: JSON 404 for unknown API routes",
}

# Sample values for route parameters, by name (anything else: by converter).
SAMPLES = {"platform": "web", "kid": "k1", "app_label": "auth", "url": "nothing/"}


def walk(patterns, prefix=""):
    """(route, pattern) of every URL pattern under ``patterns``, routes joined."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, route)
        else:
            assert isinstance(pattern, URLPattern)
            yield route, pattern


def concrete(route, pattern, app_id):
    """A URL that resolves to ``pattern``."""
    samples = {**SAMPLES, "app_id": app_id}
    if isinstance(pattern.pattern, RegexPattern):
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: samples.get(m.group(1), "1"), route)
        path = path.replace("^", "").replace("$", "")
    else:
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: samples.get(m.group(1), "1"), route)
    return "/" + path


@pytest.fixture
def routes(workspace):
    found = []
    for route, pattern in walk(get_resolver().url_patterns):
        url = concrete(route, pattern, workspace.app_id)
        match = resolve(url)
        assert match.func == pattern.callback, f"{url} does not resolve to {route}"
        found.append((route, url))
    assert len(found) > 50
    return found


@pytest.fixture
def browser(workspace):
    """A logged-in superuser who is also an admin of the workspace: no route refuses it
    for lack of rights, so a refusal can only be the CSRF check."""
    user = make_user("root", is_staff=True, is_superuser=True)
    add_member(workspace, user, "admin")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def refused_for_csrf(response):
    if response.status_code != 403:
        return False
    # Django's CSRF failure page, or DRF's error (whose data an HTML renderer may hide).
    body = response.content.decode(errors="replace") + repr(getattr(response, "data", ""))
    return "CSRF" in body


def test_every_state_changing_route_needs_the_csrf_token(routes, browser):
    unprotected = []
    for route, url in routes:
        if route in EXEMPT:
            continue
        for method in UNSAFE:
            response = getattr(browser, method)(url, data="{}", content_type="application/json")
            if not refused_for_csrf(response):
                unprotected.append(f"{method.upper()} {url} -> {response.status_code}")
    assert not unprotected, "routes that act without a CSRF token:\n" + "\n".join(unprotected)


def test_the_exemptions_are_still_routes(routes):
    assert set(EXEMPT) <= {route for route, _ in routes}


def test_the_same_form_with_its_token_goes_through(browser):
    browser.get("/profile/")
    token = browser.cookies["csrftoken"].value
    assert browser.post("/profile/").status_code == 403
    response = browser.post("/profile/", {"csrfmiddlewaretoken": token}, follow=True)
    assert response.status_code == 200
    assert "shown once" in response.content.decode() or "Copy it now" in response.content.decode()


def test_htmx_calls_send_the_token_in_a_header(browser, workspace):
    page = browser.get(f"/w/{workspace.app_id}/installation/")
    assert 'hx-headers=\'{"X-CSRFToken": "' in page.content.decode()
    token = browser.cookies["csrftoken"].value
    url = f"/w/{workspace.app_id}/trusted-domains/"
    refused = browser.post(url, {"domain": "shop.example.com"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 403
    response = browser.post(
        url, {"domain": "shop.example.com"}, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code in (200, 302)
    assert workspace.trusted_domains.filter(domain="shop.example.com").exists()


def test_token_authenticated_api_calls_need_no_csrf_token(workspace, personas):
    """Not cookie-based, so not forgeable by another site: a Token header is enough."""
    _, key = ApiToken.issue(personas["admin"])
    api = APIClient(enforce_csrf_checks=True)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    url = f"/api/v1/workspaces/{workspace.app_id}/trusted-domains/"
    response = api.post(url, {"domain": "api.example.com"}, format="json")
    assert response.status_code == 201, response.content


def test_a_session_api_call_without_the_token_is_refused_with_an_error_code(browser, workspace):
    url = f"/api/v1/workspaces/{workspace.app_id}/trusted-domains/"
    response = browser.post(url, {"domain": "api.example.com"}, content_type="application/json")
    assert response.status_code == 403
    assert "error" in response.json()
    assert not workspace.trusted_domains.filter(domain="api.example.com").exists()
