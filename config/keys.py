"""The keys settings need at start: development keys kept in var/, and the check that
every listed master key is a Fernet key (a typo stops the start, not a reveal)."""

import json
import secrets

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured


def development_keys(var_dir):
    """Keys for DEBUG runs, generated once into var/ so restarts keep decrypting."""
    path = var_dir / "dev-keys.json"
    if path.exists():
        return json.loads(path.read_text())
    keys = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "VERITY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }
    var_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(keys))
    path.chmod(0o600)
    return keys


def check_fernet_keys(keys):
    """Every listed master key must be a Fernet key: a typo stops the start, not a reveal."""
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"VERITY_ENCRYPTION_KEYS: key {position} of {len(keys)} is not a Fernet key "
                "(32 url-safe base64-encoded bytes)."
            ) from None


def refuse_missing_keys(**keys):
    """Outside DEBUG every key must be set: name the missing ones and how to make one."""
    missing = [name for name, value in keys.items() if not value]
    raise ImproperlyConfigured(
        f"{' and '.join(missing)} must be set when VERITY_DEBUG is off. "
        "Generate an encryption key with: python -c "
        '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
    )
