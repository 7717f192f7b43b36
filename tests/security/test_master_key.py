"""Rotating the master encryption key (rotate_master_key)."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from security import checks, crypto, startup
from security.models import IdentitySecret, MessengerKey
from tests.factories import current_key, make_workspace, secret_of

pytestmark = pytest.mark.django_db


def test_rotation_re_encrypts_everything_under_the_new_key(workspace, settings):
    before = {p: secret_of(workspace, p) for p in ("web", "ios", "android")}
    kid, key = current_key(workspace)
    old = settings.VERITY_ENCRYPTION_KEYS[0]
    new = Fernet.generate_key().decode()

    settings.VERITY_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_master_key")
    call_command("rotate_master_key")  # harmless the second time

    settings.VERITY_ENCRYPTION_KEYS = [new]  # the old key is dropped
    assert {p: secret_of(workspace, p) for p in before} == before
    assert current_key(workspace) == (kid, key)


def test_without_the_old_key_nothing_decrypts_and_nothing_changes(workspace, settings):
    stored = list(IdentitySecret.objects.values_list("ciphertext", flat=True))
    settings.VERITY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("rotate_master_key")
    assert list(IdentitySecret.objects.values_list("ciphertext", flat=True)) == stored
    with pytest.raises(crypto.SecretUnreadable):
        MessengerKey.objects.first().plaintext()


# --- The start-up check (security/startup.py) -------------------------------------------


def test_an_empty_database_passes_the_start_up_check(db):
    assert startup.verify_master_key() is True


def test_the_right_key_passes_the_start_up_check(workspace):
    # Three secrets and a key for the workspace and for its test twin, all sampled.
    assert startup.unreadable_secrets() == (8, [])
    assert startup.verify_master_key() is True


def test_a_wrong_key_fails_the_start_up_check_naming_rows_not_secrets(workspace, settings):
    secrets = [secret_of(workspace, p) for p in ("web", "ios", "android")]
    settings.VERITY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(startup.MasterKeyMismatch) as caught:
        startup.verify_master_key()
    message = str(caught.value)
    assert "cannot decrypt 8 of 8 sampled stored secrets" in message
    assert "security.IdentitySecret" in message and "security.MessengerKey" in message
    assert "rotate_master_key" in message
    assert not any(secret in message for secret in secrets)


def test_an_old_key_dropped_before_re_encryption_is_caught(db, settings):
    """Old secrets under the dropped key, newer ones under the new key: the oldest are
    sampled too, so a half-rotated database does not pass."""
    old, new = settings.VERITY_ENCRYPTION_KEYS[0], Fernet.generate_key().decode()
    make_workspace("Old")
    settings.VERITY_ENCRYPTION_KEYS = [new, old]
    for n in range(startup.SAMPLE + 1):  # enough newer rows to fill the newest sample
        make_workspace(f"New {n}")
    settings.VERITY_ENCRYPTION_KEYS = [new]
    with pytest.raises(startup.MasterKeyMismatch, match="security.IdentitySecret"):
        startup.verify_master_key()
    settings.VERITY_ENCRYPTION_KEYS = [new, old]
    assert startup.verify_master_key() is True


def test_the_system_check_reports_a_wrong_key_as_an_error(workspace, settings):
    assert checks.master_key_opens_stored_secrets(databases=["default"]) == []
    settings.VERITY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    [error] = checks.master_key_opens_stored_secrets(databases=["default"])
    assert error.id == "verity.E001"
    assert "cannot decrypt" in error.msg
    # A plain `check` (no --database) asks the database too.
    [error] = checks.master_key_opens_stored_secrets(databases=None)
    assert error.id == "verity.E001"
    assert checks.master_key_opens_stored_secrets(databases=["other"]) == []


def test_an_empty_key_list_never_verifies(workspace, settings):
    settings.VERITY_ENCRYPTION_KEYS = []
    with pytest.raises(ImproperlyConfigured, match="VERITY_ENCRYPTION_KEYS is empty"):
        startup.verify_master_key()


@pytest.mark.django_db(transaction=True)
def test_the_entry_point_check_raises_and_only_tests_switch_it_off(workspace, settings):
    settings.VERITY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.VERITY_STARTUP_CHECK = True
    with pytest.raises(startup.MasterKeyMismatch):
        startup.check_at_start()
    settings.VERITY_STARTUP_CHECK = False  # what tests/settings.py does inside pytest
    assert startup.check_at_start() is None
