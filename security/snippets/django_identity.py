"""Verity identity for a Django site: a context processor for the messenger snippet.

settings.py:
    VERITY_IDENTITY_SECRET = os.environ["VERITY_IDENTITY_SECRET"]
    VERITY_MESSENGER_KEY = os.environ["VERITY_MESSENGER_KEY"]
    VERITY_MESSENGER_KID = os.environ["VERITY_MESSENGER_KID"]
    TEMPLATES[0]["OPTIONS"]["context_processors"].append("yourapp.verity.messenger_identity")

Template: {{ messenger_user_id }}, {{ messenger_user_hash }} or {{ messenger_user_jwt }}.
"""

import hashlib
import hmac
import time

import jwt  # pip install PyJWT
from django.conf import settings

SESSION_SECONDS = 3600


def user_hash(identifier: str) -> str:
    secret = settings.VERITY_IDENTITY_SECRET.encode("utf-8")
    return hmac.new(secret, identifier.encode("utf-8"), hashlib.sha256).hexdigest()


def messenger_jwt(user_id: str) -> str:
    now = int(time.time())
    return jwt.encode(
        {"user_id": user_id, "iat": now, "exp": now + SESSION_SECONDS},
        settings.VERITY_MESSENGER_KEY,
        algorithm="HS256",
        headers={"kid": settings.VERITY_MESSENGER_KID},
    )


def messenger_identity(request):
    """Template context of the logged-in user; nothing for visitors."""
    if not request.user.is_authenticated:
        return {}
    user_id = str(request.user.pk)
    return {
        "messenger_user_id": user_id,
        "messenger_user_hash": user_hash(user_id),
        "messenger_user_jwt": messenger_jwt(user_id),
    }
