"""The reference of `make bench`: the gateway's work done the naive way, no framework.

Parse the JSON body, read the workspace's settings from Redis, verify the HMAC with
hmac.compare_digest, HINCRBY one counter, answer JSON. It is served by the same server
and driven by the same load as the gateway, so gateway / reference measures the design.
"""

import hashlib
import hmac
import json
import os

import redis

store = redis.Redis.from_url(os.environ["VERITY_BENCH_REFERENCE_REDIS"])


def answer(start_response, status, body):
    data = json.dumps(body).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    start_response(status, headers)
    return [data]


def application(environ, start_response):
    try:
        ping = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        settings = store.hgetall("bench:ref:app:" + ping["app_id"])
    except (ValueError, KeyError, TypeError):
        return answer(start_response, "400 Bad Request", {"error": "bad_request"})
    if not settings:
        return answer(start_response, "404 Not Found", {"error": "unknown_app"})
    identifier = ping.get("user_id") or ping.get("email")
    outcome = "visitor"
    if identifier is not None:
        expected = hmac.new(settings[b"secret"], identifier.encode(), hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected.encode(), (ping.get("user_hash") or "").encode()):
            outcome = "verified"
        elif settings[b"enforced"] == b"1":
            outcome = "rejected"
        else:
            outcome = "unverified"
    store.hincrby("bench:ref:counts", ping["app_id"] + ":" + outcome, 1)
    if outcome == "rejected":
        return answer(start_response, "401 Unauthorized", {"error": "invalid_user_hash"})
    return answer(start_response, "200 OK", {"identity": outcome})
