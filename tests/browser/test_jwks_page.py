"""The JWT keys page with a JWKS URL, in Chromium: an admin registers the URL of a real
local HTTPS server, the page shows the fetched keys, then since when fetches fail and
which set is still in use; an http:// URL is refused beside the field. Neither width
overflows."""

import json
import os

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.urls import reverse
from jwt.algorithms import ECAlgorithm

from security.actions import jwks as jwks_actions
from security.models import MessengerKey
from tests.browser.conftest import login
from tests.jwks_server import jwks_server_fixture, trusting_fixture  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)

OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def jwk(kid):
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    return {**json.loads(ECAlgorithm.to_jwk(public)), "kid": kid}


def shot(page, name):
    folder = os.environ.get("VERITY_SCREENSHOTS")
    if folder:
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def test_an_admin_registers_a_jwks_url_and_follows_its_state(page, workspace, personas, trusting):
    trusting.publish(jwk("2026-key-a"), jwk("2026-key-b"))
    url = reverse("security:jwt-keys", kwargs={"app_id": workspace.app_id})
    login(page, "admin")
    page.goto(url)

    form = page.locator("[data-testid=jwks-form]")
    form.locator("input[name=jwks_url]").fill("http://auth.example.com/jwks.json")
    form.locator("button[type=submit]").click()
    assert "must use https://" in form.inner_text()
    assert not MessengerKey.objects.filter(algorithm="JWKS").exists()

    form = page.locator("[data-testid=jwks-form]")
    form.locator("input[name=jwks_url]").fill(trusting.url())
    form.locator("input[name=kid]").fill("auth")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"**{url}")
    state = page.locator("[data-testid=jwks-state]")
    assert state.get_attribute("data-jwks-health") == "pending"

    source = MessengerKey.objects.get(kid="auth")
    jwks_actions.fetch_source(source.pk)  # the job's function (its worker is tested elsewhere)
    page.reload()
    assert state.get_attribute("data-jwks-health") == "ok"
    assert "2026-key-a ES256" in state.inner_text()
    assert "Last successful fetch" in state.inner_text()

    trusting.serve("/jwks.json", b"", status=503)
    jwks_actions.fetch_source(source.pk)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.reload()
        assert state.get_attribute("data-jwks-health") == "failing"
        text = state.inner_text()
        assert "Last fetch failed since" in text
        assert "the server answered HTTP 503; still using the set fetched at" in text
        assert "2026-key-a" in text
        assert page.evaluate(OVERFLOW) <= 0, width
        shot(page, f"jwks-{width}")
