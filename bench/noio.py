"""The second reference of `make bench`: the least a Python WSGI callable can do for a ping.

No I/O at all: parse the JSON, look the secret up in a dict (loaded once from the file
the bench writes), compute the HMAC and compare_digest, answer JSON. No counting, no
limits, no logging, no domain check. Served by the same server and load as the gateway,
so gateway / this is how close the gateway comes to Python's floor.
"""

import hashlib
import hmac
import json
import os

with open(os.environ["VERITY_BENCH_NOIO_SECRETS"], encoding="utf-8") as f:
    SECRETS = {
        app_id: {platform: secret.encode() for platform, secret in secrets.items()}
        for app_id, secrets in json.load(f).items()
    }


def answer(start_response, status, body):
    data = json.dumps(body).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


def application(environ, start_response):
    try:
        ping = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        secret = SECRETS[ping["app_id"]][ping["platform"]]
    except (ValueError, KeyError, TypeError):
        return answer(start_response, "400 Bad Request", {"error": "bad_request"})
    identifier = ping.get("user_id") or ping.get("email")
    if identifier is None:
        return answer(start_response, "200 OK", {"identity": "visitor"})
    expected = hmac.new(secret, identifier.encode(), hashlib.sha256).hexdigest()
    if hmac.compare_digest(expected.encode(), (ping.get("user_hash") or "").encode()):
        return answer(start_response, "200 OK", {"identity": "verified"})
    return answer(start_response, "401 Unauthorized", {"error": "invalid_user_hash"})
