"""Secrets at rest: MultiFernet with the master keys from VERITY_ENCRYPTION_KEYS.

The first key encrypts; every listed key decrypts, so the master key can be rotated by
prepending a new key, re-encrypting (``rotate_master_key``), then dropping the old one.
"""

import functools
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from workspaces.refusals import ServiceFault


class SecretUnreadable(ServiceFault):
    """A stored secret that none of the configured master keys can decrypt (a wrong
    master key, or a ciphertext changed in the database): both doors answer 503."""

    code = "secret_unreadable"
    user_message = (
        "A stored secret of this workspace cannot be decrypted with the configured master "
        "keys. Nothing was changed or shown. Tell your operator: retrying will not help."
    )


@functools.cache
def _fernet(keys):
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "VERITY_ENCRYPTION_KEYS must be comma-separated Fernet keys "
            "(32 url-safe base64-encoded bytes each)."
        ) from exc


def fernet():
    keys = tuple(settings.VERITY_ENCRYPTION_KEYS)
    if not keys:
        raise ImproperlyConfigured("VERITY_ENCRYPTION_KEYS is empty.")
    return _fernet(keys)


def encrypt(plaintext):
    return fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(ciphertext):
    try:
        return fernet().decrypt(ciphertext.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise SecretUnreadable(
            "A stored secret cannot be decrypted with VERITY_ENCRYPTION_KEYS; "
            "is the master key that encrypted it still listed?"
        ) from None


def reencrypt(ciphertext):
    """The same plaintext under the current primary key."""
    try:
        return fernet().rotate(ciphertext.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise SecretUnreadable("A stored secret cannot be decrypted for re-encryption.") from None


def mask(secret):
    """Show only the last four characters: ``••••3f9a``."""
    return "••••" + secret[-4:]


# ---- new key material ---------------------------------------------------------------------


def new_identity_secret():
    """256 random bits as 64 hex characters."""
    return secrets.token_hex(32)


def new_messenger_key():
    """256 random bits, url-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def new_kid():
    return "mk_" + secrets.token_hex(4)
