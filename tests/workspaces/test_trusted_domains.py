import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from workspaces.actions import add_trusted_domain
from workspaces.domains import host_matches
from workspaces.models import AuditEvent, TrustedDomain

pytestmark = pytest.mark.django_db


def page_url(ws):
    return reverse("workspaces:trusted-domains", kwargs={"app_id": ws.app_id})


def remove_url(ws, entry):
    return reverse("workspaces:trusted-domain-remove", kwargs={"app_id": ws.app_id, "pk": entry.pk})


def api_url(ws):
    return reverse("workspaces-api:trusted-domain-list", kwargs={"app_id": ws.app_id})


def test_empty_list_warns_before_the_first_entry(client, workspace, personas):
    client.force_login(personas["admin"])
    html = client.get(page_url(workspace)).content.decode()
    assert "every other origin will be rejected" in html


def test_admin_adds_a_normalised_domain(client, workspace, personas):
    client.force_login(personas["admin"])
    response = client.post(page_url(workspace), {"domain": "Bücher.Example"})
    assert response.status_code == 302
    assert list(workspace.trusted_domains.values_list("domain", flat=True)) == [
        "xn--bcher-kva.example"
    ]
    assert AuditEvent.objects.filter(action="trusted_domain.added").exists()


@pytest.mark.parametrize(
    "value, message",
    [
        ("https://example.com/", "without https://"),
        ("example.com:8080", "without a port"),
        ("foo.*.example.com", "leading"),
        ("", "This field is required."),
    ],
)
def test_invalid_domains_get_an_error_beside_the_field(client, workspace, personas, value, message):
    client.force_login(personas["admin"])
    response = client.post(page_url(workspace), {"domain": value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TrustedDomain.objects.exists()


def test_duplicate_domain_is_refused(client, workspace, personas):
    add_trusted_domain(workspace, "example.com", actor=personas["admin"])
    client.force_login(personas["admin"])
    response = client.post(page_url(workspace), {"domain": "EXAMPLE.com"})
    assert "already on the list" in response.content.decode()


@pytest.mark.parametrize("role", ["developer", "viewer"])
def test_non_admins_read_but_cannot_add(client, workspace, personas, role):
    client.force_login(personas[role])
    assert client.get(page_url(workspace)).status_code == 200
    assert client.post(page_url(workspace), {"domain": "example.com"}).status_code == 403
    assert not TrustedDomain.objects.exists()


@pytest.mark.parametrize("role", ["outsider", "support"])
def test_non_members_get_404(client, workspace, personas, role):
    client.force_login(personas[role])
    assert client.get(page_url(workspace)).status_code == 404


def test_removal_asks_first_then_removes(client, workspace, personas):
    entry = add_trusted_domain(workspace, "example.com", actor=personas["admin"])
    client.force_login(personas["admin"])
    confirm = client.get(remove_url(workspace, entry))
    assert "last trusted domain" in confirm.content.decode()
    assert TrustedDomain.objects.exists()
    client.post(remove_url(workspace, entry))
    assert not TrustedDomain.objects.exists()
    assert AuditEvent.objects.filter(action="trusted_domain.removed").exists()


def test_developer_cannot_remove(client, workspace, personas):
    entry = add_trusted_domain(workspace, "example.com", actor=personas["admin"])
    client.force_login(personas["developer"])
    assert client.post(remove_url(workspace, entry)).status_code == 403
    assert TrustedDomain.objects.exists()


def test_domain_of_another_workspace_cannot_be_removed(client, workspace, personas):
    from tests.factories import make_workspace

    other = make_workspace("Other")
    entry = add_trusted_domain(other, "example.com", actor=None)
    client.force_login(personas["admin"])
    assert client.post(remove_url(workspace, entry)).status_code == 404
    assert TrustedDomain.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize("domain", [5, 1.5, True, None, "", "shop\x00.example.com"])
def test_api_refuses_a_domain_that_is_not_text(workspace, personas, domain):
    # Found by the API fuzzer: DRF's CharField took 5 as "5".
    api = APIClient()
    api.force_authenticate(personas["admin"])
    response = api.post(api_url(workspace), {"domain": domain}, format="json")
    assert (response.status_code, response.json()["error"]) == (400, "validation_error")
    assert "domain" in response.json()["fields"]
    assert not TrustedDomain.objects.exists()


def test_api_lists_adds_and_deletes(workspace, personas):
    api = APIClient()
    api.force_authenticate(personas["admin"])
    response = api.post(api_url(workspace), {"domain": "*.Example.com"}, format="json")
    assert response.status_code == 201
    assert response.json()["domain"] == "*.example.com"
    assert (
        api.post(api_url(workspace), {"domain": "*.example.com"}, format="json").json()["error"]
        == "duplicate_domain"
    )
    bad = api.post(api_url(workspace), {"domain": "http://x.com"}, format="json")
    assert bad.status_code == 400
    assert "domain" in bad.json()["fields"]
    listed = api.get(api_url(workspace)).json()
    assert [row["domain"] for row in listed] == ["*.example.com"]
    detail = reverse(
        "workspaces-api:trusted-domain-detail",
        kwargs={"app_id": workspace.app_id, "pk": listed[0]["id"]},
    )
    assert api.delete(detail).status_code == 204
    assert api.get(api_url(workspace)).json() == []


@pytest.mark.parametrize(
    "role, get_status, post_status",
    [
        ("developer", 200, 403),
        ("viewer", 200, 403),
        ("outsider", 404, 404),
        ("support", 404, 404),
    ],
)
def test_api_roles(workspace, personas, role, get_status, post_status):
    api = APIClient()
    api.force_authenticate(personas[role])
    assert api.get(api_url(workspace)).status_code == get_status
    assert (
        api.post(api_url(workspace), {"domain": "a.com"}, format="json").status_code == post_status
    )


def test_a_wildcard_says_it_does_not_cover_the_bare_domain(client, workspace, personas):
    add_trusted_domain(workspace, "*.acme.test", actor=personas["admin"])
    client.force_login(personas["viewer"])
    html = client.get(page_url(workspace)).content.decode()
    assert "and its subdomains" not in html
    assert "any subdomain of acme.test, not acme.test itself" in html
    # ...which is what the gateway does.
    assert host_matches("shop.acme.test", ["*.acme.test"])
    assert not host_matches("acme.test", ["*.acme.test"])
