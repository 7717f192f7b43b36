"""What the gateway counts: Redis counters and verification log, or the database."""

import json
import time

import jwt

from installcheck import counting, ping
from installcheck.counting import COUNT, COUNTS_KEY, SEEN, VLOG_DIRTY_KEY, VLOG_KEY
from installcheck.counting import buffer as process_buffer
from installcheck.models import PendingCount, VerificationFailure
from security.hashing import user_hash
from tests.factories import current_key, secret_of
from tests.installcheck.test_ping import enforce, post, send


def counts(redis):
    """{(kind, CountKey or seen tuple): value} of everything flushed to Redis."""
    out = {}
    for field, value in redis.hgetall(COUNTS_KEY).items():
        kind, key = counting.parse_field(field)
        out[(kind, key)] = int(value)
    return out


# --- counting to Redis ---------------------------------------------------------------


def test_counts_land_in_redis_with_their_fields(client, workspace, redis_client):
    secret = secret_of(workspace, "web")
    send(client, workspace, origin="HTTPS://App.Acme.Test:443", app_version="5.2.0")
    for _ in range(3):
        send(client, workspace, user_id="42", user_hash=user_hash(secret, "42"))
    send(client, workspace, user_id="43")
    assert redis_client.hlen(COUNTS_KEY) == 0  # nothing before the flush
    assert process_buffer.flush() == 5

    found = counts(redis_client)
    by_outcome = {key.outcome: (key, n) for (kind, key), n in found.items() if kind == COUNT}
    visitor, n = by_outcome["visitor"]
    assert n == 1
    assert (visitor.workspace_id, visitor.platform) == (workspace.id, "web")
    assert (visitor.installation, visitor.app_version) == ("app.acme.test", "5.2.0")
    assert visitor.day == time.strftime("%Y-%m-%d", time.gmtime())
    verified, n = by_outcome["verified"]
    assert (n, verified.proof, verified.code) == (3, "hmac:web:v1", "")
    unverified, n = by_outcome["unverified"]
    assert (n, unverified.code, unverified.proof) == (1, "missing_user_hash", "")
    seen = [key for (kind, key) in found if kind == SEEN]
    assert seen == [(workspace.id, "web", "app.acme.test")]


def test_a_jwt_count_names_the_key_that_verified_it(client, workspace, redis_client):
    kid, key = current_key(workspace)
    token = jwt.encode({"user_id": "42"}, key, algorithm="HS256")
    body = {"app_id": workspace.app_id, "platform": "android", "user_jwt": token}
    post(client, {**body, "app_bundle": "com.acme.android"})
    process_buffer.flush()
    [(kind, count_key)] = [k for k in counts(redis_client) if k[0] == COUNT]
    assert (count_key.proof, count_key.installation) == (f"jwt:{kid}", "com.acme.android")


def test_failures_land_in_the_capped_verification_log(client, workspace, redis_client, settings):
    settings.VERITY_VERIFICATION_LOG_CAP = 10
    enforce(workspace)
    request_ids = [
        send(client, workspace, user_id=f"u{n}", user_hash="0" * 64).json()["request_id"]
        for n in range(12)
    ]
    send(client, workspace)  # a visitor is not a failure
    process_buffer.flush()
    key = VLOG_KEY.format(workspace_id=workspace.id)
    entries = [json.loads(raw) for raw in redis_client.lrange(key, 0, -1)]
    assert len(entries) == 10
    assert [e["request_id"] for e in entries] == request_ids[::-1][:10]  # newest first
    newest = entries[0]
    assert newest["code"] == "invalid_user_hash"
    assert newest["rejected"] is True
    assert (newest["identifier"], newest["identifier_type"]) == ("u11", "user_id")
    assert newest["installation"] == "app.acme.test"
    assert redis_client.sismember(VLOG_DIRTY_KEY, str(workspace.id))


def test_an_open_platform_failure_is_logged_as_served(client, workspace, redis_client):
    send(client, workspace, email="ann@example.com")
    process_buffer.flush()
    [raw] = redis_client.lrange(VLOG_KEY.format(workspace_id=workspace.id), 0, -1)
    entry = json.loads(raw)
    assert (entry["code"], entry["rejected"], entry["identifier_type"]) == (
        "missing_user_hash",
        False,
        "email",
    )


# --- counting without Redis ----------------------------------------------------------


def test_without_redis_counts_land_in_the_database(client, workspace, settings, monkeypatch):
    settings.REDIS_URL = None
    fresh = counting.CountBuffer()
    monkeypatch.setattr(ping, "buffer", fresh)
    enforce(workspace)
    good = user_hash(secret_of(workspace, "web"), "42")
    send(client, workspace, user_id="42", user_hash=good)
    rejected = send(client, workspace, user_id="43").json()["request_id"]
    assert not PendingCount.objects.exists()  # no database write per request
    assert fresh.flush() == 2

    fields = dict(PendingCount.objects.values_list("field", "count"))
    parsed = [counting.parse_field(f) for f in fields]
    outcomes = sorted(key.outcome for kind, key in parsed if kind == COUNT)
    assert outcomes == ["rejected", "verified"]
    assert any(kind == SEEN for kind, _ in parsed)
    failure = VerificationFailure.objects.get(workspace=workspace)
    assert (failure.request_id, failure.code, failure.rejected) == (
        rejected,
        "missing_user_hash",
        True,
    )
