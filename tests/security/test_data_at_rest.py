"""No plaintext secret, JWT key, user_hash, JWT or API token at rest.

One realistic session of use (gateway traffic with valid and invalid proofs, the hash
checker and the token debugger in the console and the API, reveals, rotations, a fold and
an installation check through Celery, 404 and 500 pages with DEBUG off), with every log
record at DEBUG written to a file; then every artefact is searched for every sensitive
value that existed or was sent: the database (``dumpdata``, plus ``pg_dump`` on
PostgreSQL, plus the decoded sessions), the log file, the worker's log, the Celery
messages (as published, and as they sat in the Redis broker), everything else in Redis,
and the error pages.
"""

import base64
import json
import logging
import subprocess
import time
from io import StringIO

import jwt
import pytest
from celery.signals import before_task_publish
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.urls import include, path

from installcheck import fold as folding
from installcheck.counting import buffer
from installcheck.models import DailyCount, Job
from installcheck.tasks import fold_counts
from security.actions import secret_rotation as rotation
from security.actions.platforms import set_enforcement
from security.hashing import user_hash
from security.models import IdentitySecret, MessengerKey, RotationMode
from tests.factories import PASSWORD, current_key, give_totp, make_user, make_workspace, secret_of
from tests.installcheck.celery_worker import wait_for, worker_fixture  # noqa: F401 (fixture)
from tests.installcheck.traffic import send
from workspaces.actions import add_member, grant_support

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
]


def crash(request):
    raise RuntimeError("the view failed")


# This module is also the URLconf of the 500 page: a crashing view, then the project's.
urlpatterns = [path("crash/", crash), path("", include("config.urls"))]


class Artefacts(dict):
    """name -> text of everything that is kept or shown."""

    def add(self, name, text):
        self[name] = self.get(name, "") + "\n" + text


def needles_in(artefacts, needles):
    """Every (artefact, what) where a needle (or its upper-case form) appears."""
    found = []
    for name, text in artefacts.items():
        for what, value in needles.items():
            if value and (value in text or value.upper() in text):
                found.append(f"{what} in {name}")
    return found


@pytest.fixture
def debug_log(tmp_path):
    """Every log record at DEBUG, formatted with its arguments, into a file."""
    path = tmp_path / "verity-debug.log"
    handler = logging.FileHandler(path)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield path
    root.removeHandler(handler)
    root.setLevel(old_level)
    handler.close()


@pytest.fixture
def published():
    """The headers and body of every Celery message published during the test."""
    messages = []

    def capture(sender=None, headers=None, body=None, **kwargs):
        messages.append(json.dumps({"task": sender, "headers": headers, "body": body}, default=str))

    before_task_publish.connect(capture, weak=False)
    yield messages
    before_task_publish.disconnect(capture)


def redis_contents(client):
    """Every key and value of the test Redis database, broker messages decoded."""
    lines = []
    for key in client.scan_iter(count=500):
        kind = client.type(key)
        if kind == "string":
            raw = client.execute_command("GET", key)
            values = [raw]
        elif kind == "hash":
            values = [f"{k}={v}" for k, v in client.hgetall(key).items()]
        elif kind == "list":
            values = client.lrange(key, 0, -1)
        elif kind == "set":
            values = list(client.smembers(key))
        elif kind == "zset":
            values = client.zrange(key, 0, -1)
        else:
            values = [f"<{kind}>"]
        for value in values:
            lines.append(f"{key} {value}")
            lines.extend(decoded_message(value))
    return "\n".join(lines)


def decoded_message(value):
    """A kombu message's base64 body, decoded (what a reader of the broker would see)."""
    try:
        message = json.loads(value)
        body = message["body"]
    except (ValueError, TypeError, KeyError):
        return []
    try:
        return [base64.b64decode(body).decode(errors="replace")]
    except ValueError:
        return [str(body)]


def pg_dump():
    db = connection.settings_dict
    command = ["pg_dump", "--no-owner", "-h", db["HOST"] or "127.0.0.1"]
    command += ["-p", str(db["PORT"] or 5432), "-U", db["USER"], db["NAME"]]
    env = {"PGPASSWORD": db["PASSWORD"] or ""}
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=True)  # noqa: S603
    assert "COPY public.security_identitysecret" in result.stdout
    return result.stdout


def drive_the_product(request, artefacts, needles):
    """Use Verity as its users and their messengers would; note what was sent."""
    workspace = make_workspace("At rest")
    admin = make_user("rest-admin")
    add_member(workspace, admin, "admin")
    support = make_user("rest-support")
    grant_support(support)
    give_totp(support)  # support needs a second factor
    set_enforcement(workspace, "web", True, actor=admin)
    app = workspace.app_id

    # --- Gateway traffic -----------------------------------------------------------
    sent_hashes, sent_jwts = [], []
    kid, key = current_key(workspace)
    for platform in ("web", "ios", "android"):
        secret = secret_of(workspace, platform)
        for uid in ("42", "ann"):
            good = user_hash(secret, uid)
            bad = user_hash(secret, uid + "-not")
            sent_hashes += [good, bad]
            send(workspace, platform, user_id=uid, user_hash=good)
            send(workspace, platform, user_id=uid, user_hash=bad)
            send(workspace, platform, user_id=uid, user_hash=good.upper())
        send(workspace, platform, email="ann@example.com", user_hash=user_hash(secret, "x"))
        sent_hashes.append(user_hash(secret, "x"))
    now = int(time.time())
    jwts = [
        jwt.encode({"user_id": "7", "iat": now}, key, headers={"kid": kid}),
        jwt.encode({"email": "bo@example.com"}, key, headers={"kid": kid}),
        jwt.encode({"user_id": "7", "exp": now - 3600}, key, headers={"kid": kid}),
        jwt.encode(
            {"user_id": "7"}, "not-the-key-but-long-enough-for-hs256!!", headers={"kid": kid}
        ),
        jwt.encode({"user_id": "7"}, key, headers={"kid": "no-such-kid"}),
        jwt.encode({"user_id": "7"}, key, algorithm="HS512", headers={"kid": kid}),
    ]
    for token in jwts:
        sent_jwts.append(token)
        send(workspace, "web", user_jwt=token)
        send(workspace, "ios", user_jwt=token)
    sent_hashes.append("f" * 64)
    send(workspace, "web", user_id="42", user_hash="f" * 64)

    # --- The console ---------------------------------------------------------------
    browser = Client()
    assert (
        browser.post("/login/", {"username": admin.username, "password": PASSWORD}).status_code
        == 302
    )
    web_secret = secret_of(workspace, "web")
    checked = user_hash(web_secret, "checked")
    sent_hashes.append(checked)
    response = browser.post(
        f"/w/{app}/hash-checker/",
        {"platform": "web", "user_id": "checked", "user_hash": checked[:-1] + "0"},
    )
    assert response.status_code == 200
    sent_hashes.append(checked[:-1] + "0")
    debugged = jwt.encode({"user_id": "dbg"}, key, headers={"kid": kid})
    sent_jwts.append(debugged)
    assert browser.post(f"/w/{app}/jwt/debugger/", {"token": debugged}).status_code == 200
    revealed = browser.post(f"/w/{app}/security/web/reveal", {"password": PASSWORD})
    assert web_secret in revealed.content.decode()
    profile = browser.post("/profile/", follow=True)
    api_key = profile.content.decode().split('data-testid="api-token">')[1].split("<")[0]
    needles["API token"] = api_key

    # --- The API, with the token --------------------------------------------------
    api = Client()
    headers = {"HTTP_AUTHORIZATION": f"Token {api_key}"}

    def call(url, body):
        return api.post(url, json.dumps(body), content_type="application/json", **headers)

    base = f"/api/v1/workspaces/{app}"
    other = user_hash(secret_of(workspace, "ios"), "api-user")
    sent_hashes.append(other)
    response = call(
        f"{base}/hash-check", {"platform": "ios", "user_id": "api-user", "user_hash": other}
    )
    assert response.status_code == 200, response.content
    api_jwt = jwt.encode({"user_id": "api"}, key, headers={"kid": kid})
    sent_jwts.append(api_jwt)
    assert call(f"{base}/jwt-debug", {"token": api_jwt}).status_code == 200
    response = call(f"{base}/platforms/android/secret/reveal", {"password": PASSWORD})
    assert response.status_code == 200, response.content
    assert call(f"{base}/jwt-keys/{kid}/reveal", {"password": PASSWORD}).status_code == 200
    assert call(f"{base}/jwt-keys/rotate", {"grace_hours": 24}).status_code in (200, 201)

    # --- An identity secret rotation (support, gap mode) --------------------------
    set_enforcement(workspace, "ios", False, actor=admin)
    opened = rotation.open_request(
        workspace, "ios", mode=RotationMode.GAP, reason="routine", ticket="T-9", actor=support
    )
    rotation.rotate(opened.pk, actor=support)
    new_ios = secret_of(workspace, "ios")
    sent_hashes.append(user_hash(new_ios, "42"))
    send(workspace, "ios", user_id="42", user_hash=user_hash(new_ios, "42"))

    # --- Celery: a fold and an installation check ---------------------------------
    buffer.flush()
    fold_counts.delay()
    response = call(f"{base}/installations/check", {})
    assert response.status_code == 202, response.content
    job_id = response.json()["job_id"]
    if settings.REDIS_URL:
        from installcheck.redis import client

        # Nothing consumes yet: the messages sit in the broker as any reader would see them.
        artefacts.add("the Redis broker", redis_contents(client()))
    if connection.vendor == "postgresql" and settings.REDIS_URL:
        worker = request.getfixturevalue("worker")(loglevel="DEBUG", VERITY_LOG_LEVEL="DEBUG")
        wait_for(lambda: Job.objects.get(pk=job_id).state == "succeeded", 60, "the check job")
        wait_for(lambda: DailyCount.objects.filter(workspace=workspace).exists(), 60, "the fold")
        artefacts.add("the worker's log", worker.log_text())
    else:
        folding.fold()
        from installcheck.tasks import check_installation

        check_installation.apply((job_id,))
        assert Job.objects.get(pk=job_id).state == "succeeded"

    # --- Error pages with DEBUG off -------------------------------------------------
    probe = Client(raise_request_exception=False)
    token_in_url = sent_jwts[0]
    # Django logs the path of a 404 (never its query string): proofs travel in bodies.
    not_found = probe.get(f"/no-such-page/?user_hash={sent_hashes[0]}&user_jwt={token_in_url}")
    assert not_found.status_code == 404
    artefacts.add("the 404 page", not_found.content.decode())
    api_missing = api.get(f"/api/v1/jobs/999999?user_hash={sent_hashes[1]}", **headers)
    assert api_missing.status_code == 404
    artefacts.add("the API 404", api_missing.content.decode())
    with override_settings(ROOT_URLCONF=__name__, DEBUG=False):
        failed = probe.post(
            f"/crash/?user_hash={sent_hashes[2]}",
            {"secret": web_secret, "user_jwt": token_in_url, "password": PASSWORD},
            HTTP_AUTHORIZATION=f"Token {api_key}",
        )
    assert failed.status_code == 500
    artefacts.add("the 500 page", failed.content.decode())

    for n, value in enumerate(sent_hashes):
        needles[f"sent user_hash #{n}"] = value
    for n, token in enumerate(sent_jwts):
        needles[f"sent JWT #{n}"] = token
        needles[f"signature of sent JWT #{n}"] = token.rsplit(".", 1)[1]
    return workspace


def test_no_secret_key_proof_or_token_at_rest(request, debug_log, published, tmp_path):
    artefacts = Artefacts()
    needles = {"the login password": PASSWORD, "SECRET_KEY": settings.SECRET_KEY}
    for n, key in enumerate(settings.VERITY_ENCRYPTION_KEYS):
        needles[f"encryption key #{n}"] = key
    if settings.REDIS_URL:
        request.getfixturevalue("redis_client")  # emptied now, not once messages are queued

    drive_the_product(request, artefacts, needles)

    for row in IdentitySecret.objects.all():
        needles[f"identity secret {row.platform} v{row.version}"] = row.plaintext()
    for row in MessengerKey.objects.all():
        needles[f"JWT signing key {row.kid}"] = row.plaintext()
    assert sum(label.startswith("identity secret") for label in needles) >= 4  # incl. rotated
    assert sum(label.startswith("JWT signing key") for label in needles) >= 2  # incl. rotated

    out = StringIO()
    call_command("dumpdata", stdout=out)
    artefacts.add("dumpdata", out.getvalue())
    artefacts.add(
        "the decoded sessions",
        "\n".join(json.dumps(s.get_decoded(), default=str) for s in Session.objects.all()),
    )
    if connection.vendor == "postgresql":
        artefacts.add("pg_dump", pg_dump())
    if settings.REDIS_URL:
        from installcheck.redis import client

        artefacts.add("Redis afterwards", redis_contents(client()))
    assert published, "no Celery message was published"
    artefacts.add("the published Celery messages", "\n".join(published))
    artefacts.add("the DEBUG log", debug_log.read_text(errors="replace"))

    # The artefacts are real: they hold what they should.
    assert "security.identitysecret" in artefacts["dumpdata"]
    assert "installcheck.check_installation" in artefacts["the published Celery messages"]
    assert "DEBUG" in artefacts["the DEBUG log"]
    if settings.REDIS_URL:
        broker = artefacts["the Redis broker"]
        assert "installcheck.check_installation" in broker
        assert "installcheck.fold_counts" in broker
    assert "Not Found" in artefacts["the 404 page"]
    assert "Server Error" in artefacts["the 500 page"]

    found = needles_in(artefacts, needles)
    assert not found, "plaintext at rest:\n" + "\n".join(found)
