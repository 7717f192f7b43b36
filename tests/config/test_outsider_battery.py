"""Issue 14's battery, replayed as an outsider: each item found by the attack on the
running system, against deploy/Procfile's web line (granian, 2 workers) in the production
configuration (DEBUG off, one trusted proxy, ``X-Forwarded-Proto: https`` on every
request), PostgreSQL and Redis; over HTTP only, with the standard library. Each test
asserts that its item no longer reproduces.

The servers start once for the module, on the test database, seeded through the
project's actions and commands; the module empties the database and Redis afterwards.
Worker and beat are not started: no item below needs them (a fresh clone's beat is
tests/config/test_fresh_clone.py; a check job published after commit, item 9, is covered
in-process by tests/installcheck/test_installation_api.py).
"""

import http.client
import io
import json
import re
import shutil
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.cookies import SimpleCookie

import jwt
import psycopg
import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import call_command
from django.db import connection
from django.utils.crypto import get_random_string

from installcheck.redis import client as redis_client
from security.actions.platforms import set_enforcement
from security.hashing import user_hash
from tests.config.test_deploy import ROOT, Process, procfile
from tests.config.test_fresh_clone import login_page_status, production_variables
from tests.factories import PASSWORD, current_key, give_totp, make_user, make_workspace, secret_of
from tests.installcheck.test_gateway_processes import (
    database_url_of_the_test_database,
    free_port,
    wait_for,
)
from tests.services import require
from workspaces.actions import add_member, add_trusted_domain, grant_support
from workspaces.models import AuditEvent

# django_db: the test database is set up for this module (pytest-django creates it only
# for marked tests). Each test reads inside its own transaction; what the servers see is
# what the module fixture committed and what they write themselves.
pytestmark = [pytest.mark.slow, pytest.mark.django_db]

TRUSTED = "trusted.example"
ORIGIN = f"https://{TRUSTED}"
# Low, so that a few seconds of flood cross it many times (item 6).
SOURCE_LIMIT = 20
WEB_WORKERS = 2
# A year 2100 expiry: a token refused with it is refused for its form, not its age.
FUTURE = 4102444800
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self):
        return json.loads(self.body)

    def cookies(self):
        jar = SimpleCookie()
        for header in self.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        return jar


class Outsider:
    """One client behind the trusted proxy: every request says HTTPS and carries the
    proxy's ``X-Forwarded-For`` (the client's ``address``). Keeps its own cookies: they
    are Secure, which the standard library's jar would not send over plain HTTP."""

    def __init__(self, port, address, token=None):
        self.port, self.address, self.token = port, address, token
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        sent = {"X-Forwarded-Proto": "https", "X-Forwarded-For": self.address}
        if self.token:
            sent["Authorization"] = f"Token {self.token}"
        if isinstance(body, dict):
            body = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        sent.update(headers or {})
        server = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            server.request(method, path, body=body, headers=sent)
            response = server.getresponse()
            answer = Answer(response.status, response.headers, response.read())
        finally:
            server.close()
        for name, morsel in answer.cookies().items():
            self.cookies[name] = morsel.value
        return answer

    def ping(self, body, origin=ORIGIN, **headers):
        if origin is not None:
            headers["Origin"] = origin
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
        return self.request("POST", "/messenger/v1/ping", body, headers)

    def log_in(self, username, password):
        """The console's login form, as a browser posts it (CSRF token and Origin)."""
        page = self.request("GET", "/login/")
        assert page.status == 200, page.status
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)
        form = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token.decode()}
        ).encode()
        return self.request(
            "POST",
            "/login/",
            form,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"https://127.0.0.1:{self.port}",
            },
        )


def production_password(password):
    """A hash the production settings can check (the test settings hash with MD5, which
    they do not list); few iterations, so a wrong guess costs the servers little."""
    return PBKDF2PasswordHasher().encode(password, get_random_string(12), iterations=1000)


def api_token(username):
    out = io.StringIO()
    call_command("create_api_token", username, stdout=out)
    return out.getvalue().strip()


@dataclass
class World:
    app_id: str
    other_app_id: str
    kid: str
    jwt_key: str
    secrets: dict
    users: dict
    tokens: dict


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Two workspaces, their people and API tokens; web, iOS and Android enforced on the
    first, which trusts only trusted.example. Emptied (database and Redis) afterwards."""
    if connection.vendor != "postgresql":
        require("PostgreSQL", "the servers must share the test database")
    if not settings.REDIS_URL:
        require("Redis", "REDIS_URL is not set")
    redis = redis_client()
    try:
        redis.ping()
    except Exception as exc:
        require("Redis", f"cannot reach {settings.REDIS_URL}: {exc}")
    redis.flushdb()
    try:
        with django_db_blocker.unblock():
            users = {}
            for name in ("admin", "developer", "support"):
                users[name] = make_user(f"battery-{name}")
                users[name].password = production_password(PASSWORD)
                users[name].save(update_fields=["password"])
            grant_support(users["support"])
            give_totp(users["support"])  # support needs a second factor
            workspace = make_workspace("Battery", actor=users["admin"])
            other = make_workspace("Elsewhere", actor=users["admin"])
            add_member(workspace, users["admin"], "admin")
            add_member(workspace, users["developer"], "developer")
            add_member(other, users["admin"], "admin")
            add_trusted_domain(workspace, TRUSTED, actor=users["admin"])
            for platform in ("web", "ios", "android"):
                set_enforcement(workspace, platform, True, actor=users["admin"])
            kid, key = current_key(workspace)
            world = World(
                app_id=workspace.app_id,
                other_app_id=other.app_id,
                kid=kid,
                jwt_key=key,
                secrets={p: secret_of(workspace, p) for p in ("web", "ios", "android")},
                users={name: user.username for name, user in users.items()},
                tokens={name: api_token(user.username) for name, user in users.items()},
            )
        yield world
    finally:
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)
    redis.flushdb()


@pytest.fixture(scope="module")
def production(world, tmp_path_factory):
    """Environment for the Procfile's processes: the production variables only, on the
    test database, with the master key the test run encrypted the secrets with."""
    home = tmp_path_factory.mktemp("battery")
    return production_variables(
        database_url_of_the_test_database(),
        home,
        VERITY_ENCRYPTION_KEYS=",".join(settings.VERITY_ENCRYPTION_KEYS),
        VERITY_VAR_DIR=str(home / "var"),
    )


def start_web(name, production, log_dir, **env):
    port = free_port()
    process = Process(
        procfile()["web"],
        log_dir / f"{name}.log",
        environ=production,
        HOST="127.0.0.1",
        PORT=str(port),
        **env,
    )
    return port, process


@pytest.fixture(scope="module")
def servers(production, tmp_path_factory):
    """The Procfile's web line, twice: the one under test (2 workers), and one whose Redis
    is unreachable (item 7). Both start together; yields their ports."""
    log_dir = tmp_path_factory.mktemp("battery-logs")
    port, web = start_web(
        "web",
        production,
        log_dir,
        WEB_CONCURRENCY=str(WEB_WORKERS),
        VERITY_GATEWAY_SOURCE_LIMIT=str(SOURCE_LIMIT),
    )
    lost_port, lost = start_web(
        "web-without-redis", production, log_dir, WEB_CONCURRENCY="1", REDIS_URL=UNREACHABLE_REDIS
    )
    with web, lost:
        for process, at in ((web, port), (lost, lost_port)):
            assert wait_for(lambda at=at: login_page_status(at), 60) == 200, process.output()
        yield {"web": port, "without_redis": lost_port}
        for process in (web, lost):
            assert process.running(), process.output()
            assert "Traceback" not in process.output(), process.output()


@pytest.fixture
def web(servers):
    return servers["web"]


def visitor(world):
    return {"app_id": world.app_id, "platform": "web"}


def hmac_ping(world, platform, secret, user_id="42"):
    body = {"app_id": world.app_id, "platform": platform, "user_id": user_id}
    body["user_hash"] = user_hash(secret, user_id)
    if platform != "web":
        body["app_bundle"] = "com.battery.app"
    return body


def jwt_ping(world, claims, **fields):
    token = jwt.encode(claims, world.jwt_key, algorithm="HS256", headers={"kid": world.kid})
    return {**visitor(world), "user_jwt": token, **fields}


# 1 -----------------------------------------------------------------------------------


def test_1_wrong_logins_from_one_address_do_not_lock_the_user_out_from_another(world, web):
    attacker = Outsider(web, "198.51.100.66")
    for _ in range(5):
        assert attacker.log_in(world.users["admin"], "not the password").status in (200, 429)
    # The lock holds where the guesses came from...
    assert attacker.log_in(world.users["admin"], PASSWORD).status == 429
    # ...and only there: the real user, behind the same proxy, logs in.
    user = Outsider(web, "192.0.2.10")
    answer = user.log_in(world.users["admin"], PASSWORD)
    assert answer.status == 302, answer.body[:500]
    assert "sessionid" in user.cookies

    # Audit rows carry the real addresses: the guesses', and the user's own actions.
    added = Outsider(web, "192.0.2.10", world.tokens["admin"]).request(
        "POST", f"/api/v1/workspaces/{world.app_id}/trusted-domains/", {"domain": "one.example"}
    )
    assert added.status == 201, added.body
    audit = Outsider(web, "192.0.2.10", world.tokens["admin"]).request(
        "GET", f"/api/v1/workspaces/{world.app_id}/audit/?action=trusted_domain.added"
    )
    event = next(e for e in audit.json()["results"] if e["target"] == "one.example")
    assert (event["ip"], event["role"]) == ("192.0.2.10", "admin")


def test_1_failed_logins_are_audited_with_the_guessers_address(world, web):
    failed = list(AuditEvent.objects.filter(action="login.failed", target=world.users["admin"]))
    assert failed
    assert {event.ip for event in failed} == {"198.51.100.66"}


# 2 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [390 * 1024, 301])
def test_2_an_origin_longer_than_an_origin_can_be_is_refused(world, web, length):
    origin = "https://" + "a" * (length - len("https://"))
    answer = Outsider(web, "198.51.100.2").ping(visitor(world), origin=origin)
    assert (answer.status, answer.json()["error"]) == (400, "invalid_origin")


# 4 -----------------------------------------------------------------------------------


def open_rotation(support, world, platform, mode):
    body = {
        "app_id": world.app_id,
        "platform": platform,
        "mode": mode,
        "reason": "routine",
        "ticket": f"BAT-{platform}",
    }
    if mode == "overlap":
        body["overlap_hours"] = 24
    answer = support.request("POST", "/api/v1/support/rotations/", body)
    assert answer.status == 201, answer.body
    return answer.json()["id"]


def test_4_support_cannot_rotate_an_enforced_platform_without_the_customer(world, web):
    support = Outsider(web, "192.0.2.40", world.tokens["support"])
    admin = Outsider(web, "192.0.2.41", world.tokens["admin"])

    overlap = open_rotation(support, world, "web", "overlap")
    refused = support.request("POST", f"/api/v1/support/rotations/{overlap}/rotate")
    assert (refused.status, refused.json()["error"]) == (409, "awaiting_customer")
    support.request("POST", f"/api/v1/support/rotations/{overlap}/cancel")

    gap = open_rotation(support, world, "ios", "gap")
    refused = support.request("POST", f"/api/v1/support/rotations/{gap}/rotate")
    assert (refused.status, refused.json()["error"]) == (409, "platform_enforced")
    support.request("POST", f"/api/v1/support/rotations/{gap}/cancel")

    # Once the customer's admin accepts, support rotates, and the old secret still
    # verifies while enforcement stays on: no outage.
    accepted = open_rotation(support, world, "android", "overlap")
    answer = admin.request("POST", f"/api/v1/workspaces/{world.app_id}/rotations/{accepted}/accept")
    assert answer.status == 200, answer.body
    answer = support.request("POST", f"/api/v1/support/rotations/{accepted}/rotate")
    assert (answer.status, answer.json()["state"]) == (200, "rotated"), answer.body
    revealed = admin.request(
        "POST",
        f"/api/v1/workspaces/{world.app_id}/platforms/android/secret/reveal",
        {"password": PASSWORD},
    )
    new = hmac_ping(world, "android", revealed.json()["secret"])
    assert wait_for(lambda: admin.ping(new, origin=None).status == 200, 5)  # seen: rotated
    old = hmac_ping(world, "android", world.secrets["android"])
    assert admin.ping(old, origin=None).json()["identity"] == "verified"
    wrong = hmac_ping(world, "android", "not the secret")
    assert admin.ping(wrong, origin=None).status == 401


# 5 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("claim", ["exp", "nbf"])
def test_5_a_time_claim_that_is_a_numeric_string_is_malformed(world, web, claim):
    client = Outsider(web, "198.51.100.5")
    good = client.ping(jwt_ping(world, {"user_id": "42", claim: 1 if claim == "nbf" else FUTURE}))
    assert (good.status, good.json()["identity"]) == (200, "verified")
    value = str(FUTURE) if claim == "exp" else "1"
    answer = client.ping(jwt_ping(world, {"user_id": "42", claim: value}))
    assert (answer.status, answer.json()["error"]) == (401, "jwt_malformed")
    assert answer.headers["WWW-Authenticate"]


# tests/node/package.json pins jose; .ci/run installs it (npm install --prefix tests/node).
NODE_TOOLS = ROOT / "tests" / "node"


def node_jose():
    """Whether node can load the `jose` package from tests/node."""
    if shutil.which("node") is None:
        return False
    found = subprocess.run(
        ["node", "-e", "require.resolve('jose')"], cwd=NODE_TOOLS, capture_output=True, check=False
    )
    return found.returncode == 0


def test_5_a_node_jose_token_with_a_numeric_string_exp_is_malformed(world, web):
    if not node_jose():
        require("node jose", "run: npm install --prefix tests/node")
    script = (
        "const {SignJWT} = require('jose');"
        "const [key, kid, exp] = process.argv.slice(1);"
        "new SignJWT({user_id: '42', exp})"
        ".setProtectedHeader({alg: 'HS256', kid})"
        ".sign(new TextEncoder().encode(key)).then(t => process.stdout.write(t));"
    )
    token = subprocess.run(
        ["node", "-e", script, world.jwt_key, world.kid, str(FUTURE)],
        cwd=NODE_TOOLS,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    answer = Outsider(web, "198.51.100.55").ping({**visitor(world), "user_jwt": token})
    assert (answer.status, answer.json()["error"]) == (401, "jwt_malformed")


# 6 -----------------------------------------------------------------------------------

FLOOD_SECONDS = 3.5
FLOOD_THREADS = 6


def test_6_a_flood_from_one_source_gets_no_more_than_the_documented_bound(world, web):
    """README "Known limits": over P processes a flood gets at most P x the limit per
    window until every process has heard of the others (its first two windows at most),
    then at most the limit + P - 1 per window."""
    client = Outsider(web, "203.0.113.6")
    body = json.dumps(visitor(world)).encode()
    answers, lock = [], threading.Lock()
    time.sleep(1 - time.time() % 1 + 0.02)  # start as a window opens: whole windows
    start = time.time()

    def flood():
        while time.time() < start + FLOOD_SECONDS:
            sent = time.time()
            answer = client.ping(body)
            with lock:
                answers.append((sent, time.time(), answer.status, answer.headers["Retry-After"]))
            time.sleep(0.005)

    threads = [threading.Thread(target=flood) for _ in range(FLOOD_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {status for _, _, status, _ in answers} == {200, 429}
    assert {retry for _, _, status, retry in answers if status == 429} == {"1"}
    # A window's admissions, counted from above: every 200 sent before the window ended
    # and answered after it began (an answer in flight at a boundary counts in both).
    first = int(start)
    per_window = [
        sum(
            1
            for sent, received, status, _ in answers
            if status == 200 and int(sent) <= window <= int(received)
        )
        for window in range(first, int(start + FLOOD_SECONDS) + 1)
    ]
    whole = per_window[: int(FLOOD_SECONDS)]  # the last window is partial
    assert whole[0] >= SOURCE_LIMIT, per_window  # the limit lets the limit through
    # The margin is for those answers in flight, and a flush late on a busy machine; the
    # issue's "twice the limit, sustained" (2 x 20 per window) exceeds it by far.
    margin = FLOOD_THREADS
    for window, admitted in enumerate(whole):
        bound = WEB_WORKERS * SOURCE_LIMIT if window < 2 else SOURCE_LIMIT + WEB_WORKERS - 1
        assert admitted <= bound + margin, (window, per_window)
    # Another source is not held back by this one's flood.
    assert Outsider(web, "203.0.113.7").ping(visitor(world)).status == 200


# 7 -----------------------------------------------------------------------------------


def test_7_with_redis_unreachable_hash_check_and_reveal_are_503_not_500(world, servers):
    admin = Outsider(servers["without_redis"], "192.0.2.70", world.tokens["admin"])
    app = f"/api/v1/workspaces/{world.app_id}"
    checked = admin.request(
        "POST", f"{app}/hash-check", {"platform": "web", "user_id": "42", "user_hash": "0" * 64}
    )
    revealed = admin.request("POST", f"{app}/platforms/web/secret/reveal", {"password": PASSWORD})
    for answer in (checked, revealed):
        assert answer.status == 503, answer.body
        assert answer.json()["error"] == "service_unavailable"
        assert int(answer.headers["Retry-After"]) > 0
        assert world.secrets["web"].encode() not in answer.body
    # The gateway there still decides from the database, failing closed.
    gateway = Outsider(servers["without_redis"], "192.0.2.71")
    assert gateway.ping(hmac_ping(world, "web", "not the secret")).status == 401
    assert gateway.ping(hmac_ping(world, "web", world.secrets["web"])).status == 200


# 8 -----------------------------------------------------------------------------------


def test_8_wrong_reveal_passwords_do_not_lock_the_login(world, web):
    address = "192.0.2.80"
    developer = Outsider(web, address, world.tokens["developer"])
    for _ in range(6):  # more than the login's limit of 5
        answer = developer.request(
            "POST",
            f"/api/v1/workspaces/{world.app_id}/platforms/web/secret/reveal",
            {"password": "not the password"},
        )
        assert (answer.status, answer.json()["error"]) == (403, "wrong_password")
    answer = Outsider(web, address).log_in(world.users["developer"], PASSWORD)
    assert answer.status == 302, answer.body[:500]


# 9 is a transaction's rollback, covered in-process (module docstring).

# 11 ----------------------------------------------------------------------------------


def test_11_a_body_that_repeats_a_key_is_refused(world, web):
    body = (
        f'{{"app_id": "{world.other_app_id}", "app_id": "{world.app_id}", "platform": "web"}}'
    ).encode()
    answer = Outsider(web, "198.51.100.11").ping(body)
    assert (answer.status, answer.json()["error"]) == (400, "duplicate_key")


def test_11_only_a_strict_origin_matches_a_trusted_domain(world, web):
    client = Outsider(web, "198.51.100.12")
    assert client.ping(visitor(world)).status == 200
    answer = client.ping(visitor(world), origin=f"https://evil.com\\@{TRUSTED}")
    assert (answer.status, answer.json()["error"]) == (403, "untrusted_domain")


def test_11_a_body_email_other_than_the_tokens_is_a_mismatch(world, web):
    client = Outsider(web, "198.51.100.13")
    claims = {"user_id": "42", "email": "ann@example.com", "exp": FUTURE}
    assert client.ping(jwt_ping(world, claims, email="ann@example.com")).status == 200
    answer = client.ping(jwt_ping(world, claims, email="bob@example.com"))
    assert (answer.status, answer.json()["error"]) == (401, "jwt_user_mismatch")


# 12 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_12_an_api_call_without_a_valid_token_is_a_401_challenge(world, web, token):
    answer = Outsider(web, "198.51.100.14", token).request("GET", "/api/v1/workspaces/")
    assert answer.status == 401, answer.body
    assert answer.headers["WWW-Authenticate"] == "Token"


def test_12_a_token_authenticated_reveal_sets_no_session_cookie(world, web):
    admin = Outsider(web, "192.0.2.12", world.tokens["admin"])
    answer = admin.request(
        "POST",
        f"/api/v1/workspaces/{world.app_id}/platforms/web/secret/reveal",
        {"password": PASSWORD},
    )
    assert answer.status == 200, answer.body
    assert answer.json()["secret"] == world.secrets["web"]
    assert "sessionid" not in answer.cookies()


# 13 ----------------------------------------------------------------------------------


def test_13_the_schema_says_what_the_server_refuses(world, web):
    client = Outsider(web, "192.0.2.13", world.tokens["developer"])
    answer = client.request("GET", "/api/schema/?format=json")
    assert answer.status == 200, answer.body[:500]
    schema = answer.json()
    assert "413" in schema["paths"]["/messenger/v1/ping"]["post"]["responses"]
    too_large = client.ping({**visitor(world), "user_jwt": "x" * 9000})
    assert (too_large.status, too_large.json()["error"]) == (413, "payload_too_large")

    domain = schema["components"]["schemas"]["TrustedDomain"]["properties"]["domain"]
    assert domain["maxLength"] == 300
    assert "invalid_domain" in domain["description"]
    admin = Outsider(web, "192.0.2.13", world.tokens["admin"])
    path = f"/api/v1/workspaces/{world.app_id}/trusted-domains/"
    for entry in ("https://shop.example", "shop.example:443", "ann@shop.example"):
        assert not re.search(domain["pattern"], entry)
        answer = admin.request("POST", path, {"domain": entry})
        assert (answer.status, answer.json()["error"]) == (400, "invalid_domain")
    for entry in (" *.Bücher.example. ", "Shop.Example"):
        assert re.search(domain["pattern"], entry)
        assert admin.request("POST", path, {"domain": entry}).status == 201


# 14 ----------------------------------------------------------------------------------


def manage(command, production, log_path, **env):
    """(exit status, output) of ``manage.py COMMAND`` in the production environment."""
    with Process(f"python manage.py {command}", log_path, environ=production, **env) as run:
        status = run.process.wait(timeout=120)
    return status, run.output()


def test_14_check_with_a_wrong_master_key_stops(production, servers, tmp_path):
    wrong_key = Fernet.generate_key().decode()
    status, output = manage(
        "check", production, tmp_path / "w.log", VERITY_ENCRYPTION_KEYS=wrong_key
    )
    assert status != 0, output
    assert "VERITY_ENCRYPTION_KEYS" in output or "master key" in output, output
    status, output = manage("check", production, tmp_path / "right.log")
    assert status == 0, output


# 10: last, since it breaks the audit chain on purpose ---------------------------------


def test_10_the_audit_chain_holds_after_the_battery_and_shows_an_edit(
    world, production, servers, tmp_path
):
    status, output = manage("verify_audit", production, tmp_path / "before.log")
    assert status == 0, output
    assert "chain intact" in output
    table = AuditEvent._meta.db_table
    # Its own connection, committed at once: the test's transaction is not the database's.
    with psycopg.connect(database_url_of_the_test_database(), autocommit=True) as database:
        edited = database.execute(
            f"UPDATE {table} SET target = 'someone else' "  # noqa: S608 (no input)
            f"WHERE id = (SELECT min(id) FROM {table} WHERE action = 'login.failed')"
        )
        assert edited.rowcount == 1
    status, output = manage("verify_audit", production, tmp_path / "after.log")
    assert status == 1, output
    assert "edited" in output, output
