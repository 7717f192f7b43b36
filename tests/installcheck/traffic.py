"""Sending pings through the real gateway view in tests."""

import json

from django.test import Client

from security.hashing import user_hash
from tests.factories import secret_of


def send(workspace, platform="web", origin="https://shop.example.com", client=None, **fields):
    client = client or Client()
    headers = {"HTTP_ORIGIN": origin} if origin and platform == "web" else {}
    body = {"app_id": workspace.app_id, "platform": platform, **fields}
    return client.post("/messenger/v1/ping", json.dumps(body), "application/json", **headers)


def send_verified(workspace, uid, platform="web", **fields):
    good = user_hash(secret_of(workspace, platform), uid)
    return send(workspace, platform, user_id=uid, user_hash=good, **fields)
