"""Enrolling on the profile: the authenticator app (QR code rendered on the server, the
secret as text), recovery codes shown once, each step audited."""

from base64 import b32encode

import pytest
from django.urls import reverse

from security.authenticator import AuthenticatorApp
from tests.factories import give_totp, recovery_code, totp_code
from workspaces.models import AuditEvent
from workspaces.two_factor import factors_of, has_second_factor

pytestmark = pytest.mark.django_db

SETUP = reverse("security:two-factor-totp")
PAGE = reverse("security:two-factor")
CODES = reverse("security:two-factor-recovery-codes")


def test_the_setup_page_shows_a_qr_code_and_the_secret(client, personas):
    client.force_login(personas["developer"])
    response = client.get(SETUP)
    html = response.content.decode()
    device = AuthenticatorApp.objects.get(user=personas["developer"], confirmed=False)
    secret = b32encode(device.bin_key).decode()
    assert 'src="data:image/svg+xml' in html
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in html
    assert "no-store" in response["Cache-Control"]
    # A reload shows the same secret (the device waiting for its first code).
    assert client.get(SETUP).content.decode().count(secret[:4]) >= 1
    assert AuthenticatorApp.objects.filter(user=personas["developer"]).count() == 1


def test_a_wrong_first_code_enrols_nothing(client, personas):
    client.force_login(personas["developer"])
    client.get(SETUP)
    response = client.post(SETUP, {"code": "12345x"})
    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert not has_second_factor(personas["developer"])


def test_the_right_first_code_enrols_and_shows_recovery_codes_once(client, personas):
    developer = personas["developer"]
    client.force_login(developer)
    client.get(SETUP)
    device = AuthenticatorApp.objects.get(user=developer)
    response = client.post(SETUP, {"code": totp_code(device)})
    assert response.status_code == 302 and response.url == PAGE
    assert has_second_factor(developer)
    page = client.get(PAGE).content.decode()
    assert page.count("<li><code>") == 10
    assert client.get(PAGE).content.decode().count("<li><code>") == 0
    assert factors_of(developer)["recovery_codes"] == 10
    actions = set(AuditEvent.objects.filter(actor=developer).values_list("action", flat=True))
    assert {"two_factor.totp_added", "two_factor.recovery_codes_created"} <= actions


def test_a_second_authenticator_app_is_refused(client, personas):
    give_totp(personas["admin"])
    client.force_login(personas["admin"])
    assert client.get(SETUP).status_code == 302
    assert AuthenticatorApp.objects.filter(user=personas["admin"]).count() == 1


def test_regenerating_recovery_codes_replaces_them_audited(client, personas):
    admin = personas["admin"]
    give_totp(admin)
    old = recovery_code(admin)
    client.force_login(admin)
    assert client.post(CODES).status_code == 302
    html = client.get(PAGE).content.decode()
    assert old not in html and html.count("<li><code>") == 10
    assert AuditEvent.objects.filter(action="two_factor.recovery_codes_regenerated").exists()
    assert not AuditEvent.objects.filter(after__icontains=old).exists()


def test_recovery_codes_need_a_factor_first(client, personas):
    client.force_login(personas["viewer"])
    client.post(CODES)
    assert factors_of(personas["viewer"])["recovery_codes"] == 0


def test_the_pages_need_a_login(client):
    for url in (PAGE, SETUP):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response.url
    assert client.post(reverse("security:two-factor-passkey-options")).status_code == 302


def test_passkey_registration_options_name_the_user_and_this_host(client, personas):
    client.force_login(personas["viewer"])
    options = client.post(reverse("security:two-factor-passkey-options")).json()
    assert options["rp"]["id"] == "testserver"
    assert options["user"]["name"] == "viewer"
    assert options["challenge"]


def test_a_forged_passkey_registration_is_refused(client, personas):
    client.force_login(personas["viewer"])
    client.post(reverse("security:two-factor-passkey-options"))
    response = client.post(
        reverse("security:two-factor-passkey"),
        {"name": "Fake", "passkey": '{"id": "AAAA", "rawId": "AAAA", "type": "public-key"}'},
        follow=True,
    )
    assert "could not be registered" in response.content.decode()
    assert not has_second_factor(personas["viewer"])


def test_a_database_dump_holds_no_usable_seed_or_recovery_code(client, personas):
    from io import StringIO

    from django.core.management import call_command
    from django_otp.plugins.otp_static.models import StaticToken

    developer = personas["developer"]
    client.force_login(developer)
    client.get(SETUP)
    device = AuthenticatorApp.objects.get(user=developer)
    client.post(SETUP, {"code": totp_code(device)})
    codes = [
        line.split("</code>")[0]
        for line in client.get(PAGE).content.decode().split("<li><code>")[1:]
    ]
    assert len(codes) == 10
    dump = StringIO()
    call_command("dumpdata", "security", "otp_static", stdout=dump)
    seed = device.bin_key
    assert seed.hex() not in dump.getvalue()
    assert b32encode(seed).decode() not in dump.getvalue()
    for code in codes:
        assert code not in dump.getvalue() and code.replace("-", "") not in dump.getvalue()
    assert StaticToken.objects.count() == 10


def test_rotating_the_master_key_keeps_the_authenticator_app(settings, personas):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    device = give_totp(personas["admin"])
    seed = device.bin_key
    settings.VERITY_ENCRYPTION_KEYS = [
        Fernet.generate_key().decode(),
        *settings.VERITY_ENCRYPTION_KEYS,
    ]
    call_command("rotate_master_key", stdout=None)
    settings.VERITY_ENCRYPTION_KEYS = settings.VERITY_ENCRYPTION_KEYS[:1]
    device.refresh_from_db()
    assert device.bin_key == seed
