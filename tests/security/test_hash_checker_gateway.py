"""The gateway's verification log carries the checker's diagnosis of invalid hashes."""

import json

import pytest

from installcheck.counting import DatabaseSink, buffer
from installcheck.models import VerificationFailure
from security import crypto
from security.hashing import user_hash
from security.models import IdentitySecret, SecretState
from tests.factories import current_key, secret_of

pytestmark = pytest.mark.django_db


class RecordingSink:
    def __init__(self):
        self.failures = []

    def write(self, counts, seen, failures):
        for entries in failures.values():
            self.failures.extend(entries)


@pytest.fixture
def sink(monkeypatch):
    recording = RecordingSink()
    monkeypatch.setattr(buffer, "_sink", recording)
    return recording


def ping(client, workspace, **fields):
    body = {"app_id": workspace.app_id, "platform": "web", **fields}
    return client.post("/messenger/v1/ping", json.dumps(body), content_type="application/json")


def logged(sink):
    buffer.flush()
    return sink.failures


def codes(entry):
    return [finding["code"] for finding in entry["diagnosis"]]


def test_invalid_hash_made_from_the_email_is_diagnosed(client, workspace, sink):
    made = user_hash(secret_of(workspace, "web"), "ann@example.com")
    response = ping(client, workspace, user_id="42", email="ann@example.com", user_hash=made)
    assert response.json()["warning"] == "invalid_user_hash"
    [entry] = logged(sink)
    assert entry["code"] == "invalid_user_hash"
    assert codes(entry) == ["email_hashed_instead_of_user_id"]
    assert entry["diagnosis"][0]["message"]


def test_invalid_hash_made_with_the_ios_secret_is_diagnosed(client, workspace, sink):
    made = user_hash(secret_of(workspace, "ios"), "42")
    ping(client, workspace, user_id="42", user_hash=made)
    assert codes(logged(sink)[0]) == ["other_platform_secret"]


def test_invalid_hash_made_with_the_twin_secret_is_diagnosed(client, workspace, sink):
    made = user_hash(secret_of(workspace.twin, "web"), "42")
    ping(client, workspace, user_id="42", user_hash=made)
    [entry] = logged(sink)
    assert codes(entry) == ["twin_workspace_secret"]
    assert workspace.twin.app_id in entry["diagnosis"][0]["message"]


def test_invalid_hash_made_with_the_jwt_key_is_diagnosed(client, workspace, sink):
    _, key = current_key(workspace)
    ping(client, workspace, user_id="42", user_hash=user_hash(key, "42"))
    assert codes(logged(sink)[0]) == ["jwt_key_used"]


def test_invalid_hash_made_with_a_retired_secret_is_diagnosed(client, workspace, sink):
    old = secret_of(workspace, "web")
    IdentitySecret.objects.filter(workspace=workspace, platform="web").update(
        state=SecretState.RETIRED
    )
    IdentitySecret.objects.create(
        workspace=workspace,
        platform="web",
        version=2,
        ciphertext=crypto.encrypt("web-secret-v2"),
        state=SecretState.CURRENT,
    )
    ping(client, workspace, user_id="42", user_hash=user_hash(old, "42"))
    [entry] = logged(sink)
    assert codes(entry) == ["previous_secret"]
    assert "(v1)" in entry["diagnosis"][0]["message"]


def test_malformed_hash_is_diagnosed(client, workspace, sink):
    ping(client, workspace, user_id="42", user_hash="nothex")
    assert codes(logged(sink)[0]) == ["malformed_hash"]


def test_missing_hash_has_nothing_to_diagnose(client, workspace, sink):
    ping(client, workspace, user_id="42")
    [entry] = logged(sink)
    assert entry["code"] == "missing_user_hash"
    assert entry["diagnosis"] == []


def test_valid_hash_logs_nothing_and_loads_no_diagnosis_secrets(client, workspace, sink):
    from security.snapshots import snapshots

    made = user_hash(secret_of(workspace, "web"), "42")
    assert ping(client, workspace, user_id="42", user_hash=made).json()["identity"] == "verified"
    assert snapshots.get(workspace.app_id).diagnosis_extras._value is None
    assert logged(sink) == []


def test_rejected_request_on_enforced_platform_is_diagnosed_in_the_database(
    client, workspace, monkeypatch
):
    from security.models import PlatformSettings

    PlatformSettings.objects.filter(workspace=workspace, platform="web").update(enforced=True)
    monkeypatch.setattr(buffer, "_sink", DatabaseSink())
    made = user_hash(secret_of(workspace, "android"), "42")
    response = ping(client, workspace, user_id="42", user_hash=made)
    assert response.status_code == 401
    buffer.flush()
    failure = VerificationFailure.objects.get(workspace=workspace)
    assert failure.rejected is True
    assert [f["code"] for f in failure.diagnosis] == ["other_platform_secret"]
    assert secret_of(workspace, "android") not in json.dumps(failure.diagnosis)
