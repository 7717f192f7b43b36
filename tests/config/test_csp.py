"""The Content Security Policy: strict on every console page, and templates that need
nothing more (no inline script, style or event handler)."""

import re
from pathlib import Path

import pytest
from django.test import Client

from security.actions.platforms import record_readiness
from tests.security.test_overview import READINESS

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"

STRICT = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "connect-src": {"'self'"},
    "frame-ancestors": {"'none'"},
    "form-action": {"'self'"},
    "base-uri": {"'none'"},
    "object-src": {"'none'"},
}


def policy(response):
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = set(values)
    return directives


def assert_strict(response):
    assert policy(response) == STRICT
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.fixture
def admin_client(personas):
    client = Client(raise_request_exception=False)
    client.force_login(personas["admin"])
    return client


@pytest.mark.django_db
def test_the_login_page_is_strict():
    response = Client().get("/login/")
    assert response.status_code == 200
    assert_strict(response)


CONSOLE_PAGES = [
    "/",
    "/profile/",
    "/w/{app}/security/",
    "/w/{app}/install/",
    "/w/{app}/installation/",
    "/w/{app}/installation/table/",
    "/w/{app}/hash-checker/",
    "/w/{app}/snippets/",
    "/w/{app}/jwt/",
    "/w/{app}/jwt/debugger/",
    "/w/{app}/trusted-domains/",
    "/w/{app}/audit/",
    "/api/docs/",
]


@pytest.mark.parametrize("path", CONSOLE_PAGES)
def test_console_pages_are_strict(admin_client, workspace, path):
    record_readiness(workspace.pk, "web", READINESS)
    response = admin_client.get(path.format(app=workspace.app_id))
    assert response.status_code == 200
    assert_strict(response)


def test_the_support_console_is_strict(personas):
    client = Client()
    client.force_login(personas["support"])
    response = client.get("/support/")
    assert response.status_code == 200
    assert_strict(response)


@pytest.mark.django_db
def test_error_pages_are_strict(settings):
    settings.ROOT_URLCONF = "tests.config.error_urls"
    client = Client(raise_request_exception=False)
    for path, status in [
        ("/no-such-page/", 404),
        ("/_test/boom/", 500),
        ("/_test/forbidden/", 403),
    ]:
        response = client.get(path)
        assert response.status_code == status
        assert_strict(response)
    csrf = Client(enforce_csrf_checks=True).post("/login/", {"username": "a", "password": "b"})
    assert csrf.status_code == 403
    assert_strict(csrf)


def test_the_api_docs_script_is_a_script_file(admin_client):
    page = admin_client.get("/api/docs/").content.decode()
    assert "<style" not in page
    sources = re.findall(r'<script src="([^"]+)"></script>', page)
    assert len(sources) == 3 and all(s.startswith("/") for s in sources)  # no CDN
    script = admin_client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


# --- Templates need nothing the policy forbids ----------------------------------------

TAG = re.compile(r"<([a-zA-Z][\w-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.S)
INLINE_HANDLER = re.compile(r"(?:^|\s)(on[a-z]+|hx-on[\w:-]*)\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"(?:^|\s)style\s*=", re.I)
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)


def template_files():
    files = sorted(TEMPLATES.rglob("*.html"))
    for app in ("workspaces", "security", "installcheck"):
        files += sorted((ROOT / app / "templates").rglob("*.html"))
    return files


def inline_code(text):
    """What in ``text`` (a template) a strict CSP would block."""
    text = re.sub(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", "", text, flags=re.S)
    found = []
    for attributes, body in SCRIPT.findall(text):
        if "src=" not in attributes or body.strip():
            found.append("inline <script>")
    if re.search(r"<style\b", text, re.I):
        found.append("<style> element")
    for name, attributes in TAG.findall(text):
        if STYLE_ATTRIBUTE.search(attributes):
            found.append(f"style attribute on <{name}>")
        for handler in INLINE_HANDLER.findall(attributes):
            found.append(f"{handler}= on <{name}>")
        if re.search(r"=\s*[\"']?\s*javascript:", attributes, re.I):
            found.append(f"javascript: URL on <{name}>")
    return found


def test_the_scanner_finds_what_it_looks_for():
    sample = """<script>alert(1)</script><script src="/a.js"></script>
    <div style="color:red" data-x="y"></div><a href="javascript:void(0)" onclick="go()">x</a>
    <style>p{}</style><button hx-on:click="x()" data-confirm="ok?">b</button>"""
    assert sorted(inline_code(sample)) == sorted(
        [
            "inline <script>",
            "<style> element",
            "style attribute on <div>",
            "javascript: URL on <a>",
            "onclick= on <a>",
            "hx-on:click= on <button>",
        ]
    )
    assert inline_code('<p data-onload="x" class="on">online=ok</p>{# <style> #}') == []


def test_no_template_has_inline_script_style_or_handlers():
    files = template_files()
    assert len(files) > 30
    problems = {
        str(path.relative_to(ROOT)): found
        for path in files
        if (found := inline_code(path.read_text()))
    }
    assert problems == {}
