"""Sessions: a new key at login (no fixation), dead on the server after logout, and ended
with the API token as soon as the user is deactivated, by any path; a password change
ends the user's other sessions."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import PASSWORD, make_user
from workspaces.models import ApiToken, AuditEvent

pytestmark = pytest.mark.django_db

API = "/api/v1/workspaces/"


def logged_in(username):
    client = Client()
    response = client.post(
        reverse("workspaces:login"), {"username": username, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def replay(session_key):
    """A fresh browser that presents a stolen session cookie."""
    client = Client()
    client.cookies["sessionid"] = session_key
    return client


def is_logged_out(client):
    page = client.get(reverse("workspaces:profile"))
    api = client.get(API)
    return (
        page.status_code == 302
        and page["Location"].startswith(reverse("workspaces:login"))
        and api.status_code == 401
    )


def token_client(key):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def test_login_gives_a_new_session_key(client, personas):
    # An attacker plants a session in the victim's browser before the login.
    planted = client.session
    planted["planted"] = True
    planted.save()
    client.cookies["sessionid"] = planted.session_key

    response = client.post(
        reverse("workspaces:login"), {"username": "viewer", "password": PASSWORD}
    )

    assert response.status_code == 302
    new_key = client.cookies["sessionid"].value
    assert new_key != planted.session_key
    assert not Session.objects.filter(session_key=planted.session_key).exists()
    assert is_logged_out(replay(planted.session_key))
    assert client.get(reverse("workspaces:profile")).status_code == 200


def test_logout_kills_the_session_on_the_server(personas):
    client = logged_in("viewer")
    key = client.cookies["sessionid"].value
    assert replay(key).get(API).status_code == 200

    assert client.post(reverse("workspaces:logout")).status_code in (200, 302)

    assert not Session.objects.filter(session_key=key).exists()
    assert is_logged_out(replay(key))


def test_logout_is_post_only(personas):
    client = logged_in("viewer")
    assert client.get(reverse("workspaces:logout")).status_code == 405
    assert client.get(reverse("workspaces:profile")).status_code == 200


def deactivate_by_save(user, admin_client):
    user.is_active = False
    user.save()


def deactivate_by_command(user, admin_client):
    call_command("deactivate_user", user.username)


def deactivate_in_the_admin(user, admin_client):
    user.refresh_from_db()
    url = f"/admin/auth/user/{user.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("password", "groups", "user_permissions")
    }
    data.update(
        is_active="",
        last_login_0=user.last_login.strftime("%Y-%m-%d"),
        last_login_1=user.last_login.strftime("%H:%M:%S"),
        date_joined_0=user.date_joined.strftime("%Y-%m-%d"),
        date_joined_1=user.date_joined.strftime("%H:%M:%S"),
    )
    data.pop("last_login")
    data.pop("date_joined")
    data.pop("is_active")
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors


@pytest.mark.parametrize(
    "deactivate", [deactivate_by_save, deactivate_by_command, deactivate_in_the_admin]
)
def test_deactivation_ends_sessions_and_tokens_at_once(personas, deactivate):
    user = personas["developer"]
    browser, laptop = logged_in("developer"), logged_in("developer")
    _, key = ApiToken.issue(user)
    assert token_client(key).get(API).status_code == 200
    superuser = make_user("root", is_staff=True, is_superuser=True)
    admin_client = Client()
    admin_client.force_login(superuser)
    sessions = [browser.cookies["sessionid"].value, laptop.cookies["sessionid"].value]

    deactivate(user, admin_client)

    user.refresh_from_db()
    assert not user.is_active
    assert not Session.objects.filter(session_key__in=sessions).exists()
    assert is_logged_out(browser)
    assert is_logged_out(laptop)
    assert token_client(key).get(API).status_code == 401
    assert not ApiToken.objects.filter(user=user).exists()
    # The others keep their sessions.
    assert Session.objects.filter(session_key=admin_client.cookies["sessionid"].value).exists()
    # And the deactivated user cannot log in again.
    again = Client().post(
        reverse("workspaces:login"), {"username": "developer", "password": PASSWORD}
    )
    assert again.status_code == 200


def test_an_inactive_users_token_is_refused_even_if_it_survived(personas):
    """Belt and braces: the token check itself refuses inactive users (a row written
    around the signal, e.g. by a bulk update)."""
    user = personas["viewer"]
    _, key = ApiToken.issue(user)
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert token_client(key).get(API).status_code == 401


def test_the_deactivate_command_is_audited_and_refuses_twice(personas):
    call_command("deactivate_user", "viewer")
    assert AuditEvent.objects.filter(action="user.deactivated", target="viewer").exists()
    with pytest.raises(Exception, match="already deactivated"):
        call_command("deactivate_user", "viewer")


def test_a_password_change_ends_the_other_sessions(personas):
    user = personas["admin"]
    other = logged_in("admin")
    assert other.get(reverse("workspaces:profile")).status_code == 200

    user.set_password("a brand new passphrase 2")
    user.save()

    assert is_logged_out(other)
    assert SESSION_KEY not in other.session
