import time

import pytest
from django.urls import reverse

from security import reauth
from tests.factories import PASSWORD, secret_of
from workspaces.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_cache(settings):
    # Rate-limit counters are keyed by user id: keep them out of the shared test Redis.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()


def reveal_url(workspace, platform="web"):
    return reverse(
        "security:secret-reveal", kwargs={"app_id": workspace.app_id, "platform": platform}
    )


def test_reveal_first_asks_for_the_password(client, workspace, personas):
    client.force_login(personas["admin"])
    response = client.post(reveal_url(workspace), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="password"' in html
    assert secret_of(workspace, "web") not in html
    assert not AuditEvent.objects.filter(action="secret.revealed").exists()


def test_wrong_password_reveals_nothing(client, workspace, personas):
    client.force_login(personas["admin"])
    response = client.post(reveal_url(workspace), {"password": "nope"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "That is not your password." in html
    assert secret_of(workspace, "web") not in html


def test_right_password_reveals_the_secret_uncached_and_audited(client, workspace, personas):
    client.force_login(personas["developer"])
    response = client.post(reveal_url(workspace, "ios"), {"password": PASSWORD})
    assert response.status_code == 200
    assert secret_of(workspace, "ios") in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="secret.revealed")
    assert event.actor == personas["developer"]
    assert event.target == "hmac:ios:v1"
    assert secret_of(workspace, "ios") not in str(event.before) + str(event.after)


def test_password_is_remembered_for_five_minutes(client, workspace, personas):
    client.force_login(personas["admin"])
    client.post(reveal_url(workspace), {"password": PASSWORD})
    response = client.post(reveal_url(workspace, "android"), HTTP_HX_REQUEST="true")
    assert secret_of(workspace, "android") in response.content.decode()

    session = client.session
    session[reauth._SESSION_KEY] = time.time() - reauth.REAUTH_SECONDS - 1
    session.save()
    response = client.post(reveal_url(workspace, "android"), HTTP_HX_REQUEST="true")
    assert secret_of(workspace, "android") not in response.content.decode()


def test_password_guessing_is_rate_limited(client, workspace, personas):
    client.force_login(personas["admin"])
    for _ in range(10):
        client.post(reveal_url(workspace), {"password": "guess"})
    response = client.post(reveal_url(workspace), {"password": PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert secret_of(workspace, "web") not in response.content.decode()


def test_viewer_cannot_reveal(client, workspace, personas):
    client.force_login(personas["viewer"])
    assert client.post(reveal_url(workspace), {"password": PASSWORD}).status_code == 403


@pytest.mark.parametrize("role", ["outsider", "support"])
def test_non_members_cannot_reveal(client, workspace, personas, role):
    client.force_login(personas[role])
    response = client.post(reveal_url(workspace), {"password": PASSWORD})
    assert response.status_code == 404
    assert secret_of(workspace, "web") not in response.content.decode()


def test_reveal_needs_post(client, workspace, personas):
    client.force_login(personas["admin"])
    assert client.get(reveal_url(workspace)).status_code == 405


def test_unknown_platform_cannot_be_revealed(client, workspace, personas):
    client.force_login(personas["admin"])
    assert (
        client.post(f"/w/{workspace.app_id}/security/tv/reveal", {"password": PASSWORD}).status_code
        == 404
    )


def test_wrong_reveal_passwords_do_not_lock_the_login(client, workspace, personas):
    """Issue 14 #8: the reveal's password budget and the login lockout are apart."""
    from axes.models import AccessAttempt

    client.force_login(personas["admin"])
    for _ in range(8):  # more than the login's failure limit (5)
        assert client.post(reveal_url(workspace), {"password": "guess"}).status_code == 403
    assert not AccessAttempt.objects.exists()
    client.logout()
    response = client.post(reverse("workspaces:login"), {"username": "admin", "password": PASSWORD})
    assert response.status_code == 302
