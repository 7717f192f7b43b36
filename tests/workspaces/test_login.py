import pytest
from django.test import override_settings
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def attempt(client, username, password, **extra):
    return client.post(
        reverse("workspaces:login"), {"username": username, "password": password}, **extra
    )


def test_login_leads_to_the_workspace_picker(client, workspace, personas):
    response = attempt(client, "admin", PASSWORD, follow=True)
    html = response.content.decode()
    assert "Your workspaces" in html
    assert "Acme" in html


def test_wrong_password_shows_a_message(client, personas):
    response = attempt(client, "admin", "wrong")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_repeated_failures_lock_that_user_from_that_address(client, personas):
    for _ in range(5):
        attempt(client, "admin", "wrong")
    response = attempt(client, "admin", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()
    assert "15 minutes" in response.content.decode()


def test_lockout_does_not_spread_to_other_users_or_addresses(client, personas):
    for _ in range(5):
        attempt(client, "admin", "wrong")
    assert attempt(client, "viewer", PASSWORD).status_code == 302
    other = attempt(client, "admin", PASSWORD, REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 302


def test_spoofed_forwarded_for_does_not_escape_the_lock(client, personas):
    for n in range(5):
        attempt(client, "admin", "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    response = attempt(client, "admin", PASSWORD, HTTP_X_FORWARDED_FOR="10.0.0.99")
    assert response.status_code == 429


@override_settings(VERITY_TRUSTED_PROXY_COUNT=1)
def test_with_a_trusted_proxy_the_forwarded_address_counts(personas):
    from django.test import RequestFactory

    from workspaces.auth import client_ip

    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5")
    assert client_ip(request) == "203.0.113.5"


def test_without_a_trusted_proxy_forwarded_for_is_ignored():
    from django.test import RequestFactory

    from workspaces.auth import client_ip

    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert client_ip(request) == "127.0.0.1"


def test_logout_returns_to_login(client, personas):
    client.force_login(personas["admin"])
    response = client.post(reverse("workspaces:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("workspaces:login")


def test_picker_lists_only_own_workspaces(client, workspace, personas):
    from tests.factories import make_workspace

    make_workspace("Hidden Corp")
    client.force_login(personas["viewer"])
    html = client.get(reverse("workspaces:home")).content.decode()
    assert "Acme" in html
    assert "Hidden Corp" not in html
