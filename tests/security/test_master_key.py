"""Rotating the master encryption key (rotate_master_key)."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from security import crypto
from security.models import IdentitySecret, MessengerKey
from tests.factories import current_key, secret_of

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
