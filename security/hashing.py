"""The HMAC user_hash method: pure functions on plain values.

user_hash = lowercase hex of HMAC-SHA256(key = platform secret as UTF-8,
message = identifier as UTF-8). The identifier is user_id when present, else email,
used exactly as sent.
"""

import hashlib
import hmac
import re

HEX64 = re.compile(r"[0-9a-fA-F]{64}")

USER_ID = "user_id"
EMAIL = "email"


def hmac_sha256_hex(key, message):
    """Lowercase hex HMAC-SHA256 of bytes (the primitive, checked against RFC 4231)."""
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def user_hash(secret, identifier):
    return hmac_sha256_hex(secret.encode("utf-8"), identifier.encode("utf-8"))


def keyed(secret):
    """An HMAC-SHA256 keyed with ``secret`` that has hashed nothing yet, to ``copy()`` per
    message as hmac's documentation suggests: the copy skips keying and OpenSSL's digest
    fetch, about a third of a user_hash's cost (BENCHMARKS.md)."""
    return hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)


def identifier_for(user_id=None, email=None):
    """(identifier_type, identifier) the hash must be made from, or (None, None)."""
    if user_id is not None:
        return USER_ID, user_id
    if email is not None:
        return EMAIL, email
    return None, None


def is_well_formed(given):
    return isinstance(given, str) and HEX64.fullmatch(given) is not None


def hash_matches(secret, identifier, given):
    """Constant-time check of a given hash (hex in either case) against the secret."""
    if not is_well_formed(given):
        return False
    return hmac.compare_digest(user_hash(secret, identifier), given.lower())


def matching_secret(secrets, identifier, given):
    """The reference of the first (reference, secret) pair that made ``given``, or None;
    a secret is its text or its ``keyed`` HMAC.

    Every candidate is computed, so the time taken does not reveal which one matched.
    """
    if not is_well_formed(given):
        return None
    expected = given.lower()
    message = identifier.encode("utf-8")
    found = None
    for reference, secret in secrets:
        mac = (keyed(secret) if isinstance(secret, str) else secret).copy()
        mac.update(message)
        if hmac.compare_digest(mac.hexdigest(), expected) and found is None:
            found = reference
    return found
