"""Trusted domains through both doors: one action (add_trusted_domain) judges the value,
so the console and the API refuse with the same message and audit alike."""

import html

import pytest
from rest_framework.test import APIClient

from tests.factories import make_user, make_workspace
from workspaces.actions import add_member
from workspaces.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    admin = make_user("doors-admin")
    spaces = [make_workspace("Door A"), make_workspace("Door B")]
    for workspace in spaces:
        add_member(workspace, admin, "admin")
    return admin, spaces


def both(client, admin, spaces, domain):
    a, b = spaces
    client.force_login(admin)
    page = client.post(f"/w/{a.app_id}/trusted-domains/", {"domain": domain})
    api = APIClient()
    api.force_authenticate(admin)
    answer = api.post(
        f"/api/v1/workspaces/{b.app_id}/trusted-domains/", {"domain": domain}, format="json"
    )
    return page, answer


@pytest.mark.parametrize(
    "domain, code", [("https://shop.example.com/", "invalid_domain"), ("*.*.com", "invalid_domain")]
)
def test_a_bad_domain_is_refused_alike(client, pair, domain, code):
    admin, spaces = pair
    page, answer = both(client, admin, spaces, domain)
    body = answer.json()
    assert (answer.status_code, body["error"]) == (400, code)
    assert body["fields"] == {"domain": [body["message"]]}
    assert html.escape(body["message"]) in page.content.decode()
    assert not AuditEvent.objects.filter(action="trusted_domain.added").exists()


def test_a_domain_is_added_and_audited_alike_and_a_duplicate_refused_alike(client, pair):
    admin, spaces = pair
    page, answer = both(client, admin, spaces, "Shop.Example.com")
    assert page.status_code == 302 and answer.status_code == 201
    rows = [
        AuditEvent.objects.values_list("target", "before", "after").get(
            workspace=w, action="trusted_domain.added"
        )
        for w in spaces
    ]
    assert (
        rows[0]
        == rows[1]
        == ("shop.example.com", {"domains": []}, {"domains": ["shop.example.com"]})
    )
    page, answer = both(client, admin, spaces, "shop.example.com")
    assert (answer.status_code, answer.json()["error"]) == (409, "duplicate_domain")
    assert html.escape(answer.json()["message"]) in page.content.decode()
