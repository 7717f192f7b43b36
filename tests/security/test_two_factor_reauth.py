"""Once a user has a second factor, every step that asked for the password asks for it
instead: reveals at both doors (the API's ``code``), and removing a factor."""

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from rest_framework.test import APIClient

from security.authenticator import AuthenticatorApp
from tests.factories import PASSWORD, current_key, give_totp, recovery_code, secret_of, totp_code
from workspaces.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_cache(settings):
    # Rate-limit counters are keyed by user id: keep them out of the shared test Redis.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def secret_url(workspace, platform="web"):
    return f"/api/v1/workspaces/{workspace.app_id}/platforms/{platform}/secret/reveal"


def test_the_api_reveals_with_a_totp_code_once_enrolled(workspace, personas):
    device = give_totp(personas["admin"])
    response = api(personas["admin"]).post(
        secret_url(workspace), {"code": totp_code(device)}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["secret"] == secret_of(workspace, "web")


def test_the_api_refuses_the_password_once_enrolled(workspace, personas):
    give_totp(personas["admin"])
    response = api(personas["admin"]).post(
        secret_url(workspace), {"password": PASSWORD}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "second_factor_required"
    assert "secret" not in response.json()


def test_a_wrong_code_is_a_403_and_audited(workspace, personas):
    give_totp(personas["developer"])
    response = api(personas["developer"]).post(
        secret_url(workspace), {"code": "12345x"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"] == "wrong_code"
    event = AuditEvent.objects.get(action="secret.reveal_refused")
    assert event.after == {"reason": "wrong_code"}


def test_a_recovery_code_reveals_a_key_once(workspace, personas):
    admin = personas["admin"]
    give_totp(admin)
    code = recovery_code(admin)
    kid, plaintext = current_key(workspace)
    url = f"/api/v1/workspaces/{workspace.app_id}/jwt-keys/{kid}/reveal"
    first = api(admin).post(url, {"code": code}, format="json")
    assert first.status_code == 200 and first.json()["key"] == plaintext
    again = api(admin).post(url, {"code": code}, format="json")
    assert again.status_code == 403 and again.json()["error"] == "wrong_code"


def test_codes_share_the_reveal_attempt_budget(workspace, personas):
    give_totp(personas["admin"])
    client = api(personas["admin"])
    statuses = [
        client.post(secret_url(workspace), {"code": "99999x"}, format="json").status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [403] * 10
    assert statuses[10] == 429


def test_without_a_second_factor_the_password_still_reveals(workspace, personas):
    response = api(personas["admin"]).post(
        secret_url(workspace), {"password": PASSWORD}, format="json"
    )
    assert response.status_code == 200


def test_the_console_reveal_asks_for_a_code_not_the_password(client, workspace, personas):
    device = give_totp(personas["admin"])
    client.force_login(personas["admin"])
    url = reverse("security:secret-reveal", kwargs={"app_id": workspace.app_id, "platform": "ios"})
    asked = client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'name="code"' in asked and 'name="password"' not in asked
    wrong = client.post(url, {"password": PASSWORD}, HTTP_HX_REQUEST="true").content.decode()
    assert secret_of(workspace, "ios") not in wrong
    right = client.post(url, {"code": totp_code(device)}, HTTP_HX_REQUEST="true")
    assert secret_of(workspace, "ios") in right.content.decode()
    assert "no-store" in right["Cache-Control"]


def remove_url(kind, pk):
    return reverse("security:two-factor-remove", kwargs={"kind": kind, "pk": pk})


def test_removing_a_factor_asks_for_the_second_factor(client, personas):
    admin = personas["admin"]
    device = give_totp(admin)
    recovery_code(admin)
    client.force_login(admin)
    asked = client.get(remove_url("totp", device.pk))
    assert asked.status_code == 200 and 'name="code"' in asked.content.decode()
    refused = client.post(remove_url("totp", device.pk), {"code": "00000x"})
    assert refused.status_code == 403
    assert AuthenticatorApp.objects.filter(pk=device.pk).exists()
    assert AuditEvent.objects.filter(action="two_factor.remove_refused").exists()

    removed = client.post(remove_url("totp", device.pk), {"code": totp_code(device)})
    assert removed.status_code == 302
    assert not AuthenticatorApp.objects.filter(user=admin).exists()
    # The last factor gone, the recovery codes go too.
    assert not StaticDevice.objects.filter(user=admin).exists()
    event = AuditEvent.objects.get(action="two_factor.removed")
    assert event.before == {"kind": "totp", "name": "Authenticator app"}
    assert event.after == {"second_factor_left": False}


def test_nobody_removes_another_users_factor(client, personas):
    device = give_totp(personas["admin"])
    client.force_login(personas["developer"])
    response = client.post(remove_url("totp", device.pk), {"password": PASSWORD})
    assert response.status_code == 302
    assert AuthenticatorApp.objects.filter(pk=device.pk).exists()


def test_a_code_from_a_user_without_two_factor_is_a_403(workspace, personas):
    response = api(personas["admin"]).post(secret_url(workspace), {"code": "123456"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"] == "no_second_factor"
