"""Identity secrets and messenger keys never appear in plaintext: not in the database,
not in logs, not in gateway responses."""

import json
import logging
from io import StringIO

import jwt
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from installcheck import counting, ping
from security.actions.platforms import set_enforcement, set_hmac_allowed
from security.hashing import user_hash
from security.models import IdentitySecret, MessengerKey
from tests.factories import current_key, secret_of

URL = "/messenger/v1/ping"


def plaintexts(*workspaces):
    """Every secret and key of the workspaces (and their twins), decrypted."""
    values = [s.plaintext() for s in IdentitySecret.objects.all()]
    values += [k.plaintext() for k in MessengerKey.objects.all()]
    assert len(values) >= 8  # 2 workspaces x (3 secrets + 1 key)
    return values


def assert_absent(text, secrets):
    for secret in secrets:
        assert secret not in text
        assert secret.upper() not in text


def test_dumpdata_shows_no_secret_or_key(workspace):
    secrets = plaintexts(workspace)
    out = StringIO()
    call_command("dumpdata", stdout=out)
    dump = out.getvalue()
    assert '"model": "security.identitysecret"' in dump
    assert '"model": "security.messengerkey"' in dump
    assert_absent(dump, secrets)


def test_the_stored_ciphertext_decrypts_to_the_secret_but_does_not_contain_it(workspace):
    row = IdentitySecret.objects.filter(workspace=workspace).first()
    stored = IdentitySecret.objects.filter(pk=row.pk).values_list("ciphertext", flat=True).get()
    assert row.plaintext() not in str(stored)
    assert row.plaintext() == secret_of(workspace, row.platform)


def test_model_reprs_show_no_secret(workspace):
    secrets = plaintexts(workspace)
    text = " ".join(
        f"{obj} {obj!r}" for obj in [*IdentitySecret.objects.all(), *MessengerKey.objects.all()]
    )
    assert_absent(text, secrets)


@pytest.fixture
def ping_flow(client, workspace, settings, monkeypatch, caplog):
    """Drive the gateway through every kind of failure; return the responses."""
    caplog.set_level(logging.DEBUG)
    settings.REDIS_URL = None
    buffer = counting.CountBuffer()
    monkeypatch.setattr(ping, "buffer", buffer)
    set_enforcement(workspace, "web", True, actor=None)
    set_hmac_allowed(workspace, "android", False, actor=None)
    secret = secret_of(workspace, "web")
    kid, key = current_key(workspace)
    app = workspace.app_id

    def send(**fields):
        return client.post(
            URL,
            json.dumps({"app_id": app, **fields}),
            content_type="application/json",
            HTTP_ORIGIN="https://app.acme.test",
        )

    responses = [
        send(platform="web", user_id="42", user_hash=user_hash(secret, "42")),
        send(platform="web", user_id="42", user_hash=user_hash(secret, "43")),
        send(platform="web", user_id="42", user_hash=secret),
        send(platform="web", email="ann@example.com"),
        send(platform="web", user_id="42", user_jwt=jwt.encode({"user_id": "7"}, key)),
        send(platform="web", user_jwt=jwt.encode({"user_id": "7"}, secret)),
        send(platform="web", user_jwt=jwt.encode({"user_id": "7"}, key, "HS512")),
        send(platform="web", user_jwt=key),
        send(platform="ios", user_id="42", user_hash="0" * 64),
        send(platform="android", user_id="42", user_hash=user_hash(secret, "42")),
        send(platform="web", user_id=secret),
        client.post(URL, b"{" + secret.encode(), content_type="application/json"),
    ]
    buffer.flush()
    # A sink failure must log without the batch's contents.
    broken = counting.CountBuffer(sink_factory=lambda: (_ for _ in ()).throw(OSError(key)))
    monkeypatch.setattr(ping, "buffer", broken)
    responses.append(send(platform="web", user_id="42", user_hash=user_hash(secret, "x")))
    broken.flush()
    return responses


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_no_secret_or_expected_hash_reaches_a_log_or_a_response(caplog, workspace, ping_flow):
    secrets = plaintexts(workspace)
    expected_hashes = [user_hash(s, "42") for s in secrets] + [user_hash(s, "x") for s in secrets]
    codes = {r.json().get("error") or r.json().get("warning") or "verified" for r in ping_flow}
    assert {"verified", "invalid_user_hash", "missing_user_hash", "hmac_not_allowed"} <= codes
    for response in ping_flow:
        text = response.content.decode() + json.dumps(dict(response.items()))
        # The third ping sent the web secret itself as a hash: never echo input back.
        assert_absent(text, secrets)
        assert_absent(text, expected_hashes[1:])
    # The flow ran in the fixture, so its records belong to the setup phase.
    records = caplog.get_records("setup") + caplog.get_records("call")
    logged = "\n".join(logging.Formatter().format(record) for record in records)
    assert "dropped 1 counts" in logged
    assert_absent(logged, secrets)
    assert_absent(logged, expected_hashes)


def test_the_verification_log_keeps_no_secret(workspace, ping_flow):
    secrets = plaintexts(workspace)
    out = StringIO()
    call_command("dumpdata", "installcheck", stdout=out)
    dump = out.getvalue()
    assert '"model": "installcheck.verificationfailure"' in dump
    # The user_id field of one ping was the secret itself: the log keeps identifiers,
    # so that ping's value may appear as an identifier, but never as a proof or reason.
    web_secret = secret_of(workspace, "web")
    others = [s for s in secrets if s != web_secret]
    assert_absent(dump, others)
    for row in json.loads(dump):
        if row["model"] == "installcheck.verificationfailure":
            fields = row["fields"]
            assert web_secret not in json.dumps({**fields, "identifier": ""})


def test_log_output_during_startup_settings_shows_no_encryption_key():
    # repr for what JSON cannot hold (a filter's class named in the configuration).
    text = json.dumps(django_settings.LOGGING, default=repr)
    for key in django_settings.VERITY_ENCRYPTION_KEYS:
        assert key not in text
