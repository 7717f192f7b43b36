"""Verity user_hash: run on your server, never in the browser.

Set VERITY_IDENTITY_SECRET to the platform's identity verification secret (from the
console's Security page); do not write the secret into your code.
"""

import hashlib
import hmac
import os
import sys


def user_hash(identifier: str) -> str:
    """Hex HMAC-SHA256 of the identifier (the user_id, or the email without a user_id)."""
    secret = os.environ["VERITY_IDENTITY_SECRET"]
    return hmac.new(secret.encode("utf-8"), identifier.encode("utf-8"), hashlib.sha256).hexdigest()


if __name__ == "__main__":
    for identifier in sys.argv[1:]:
        print(user_hash(identifier))
