"""The demo shop without a browser: its proofs pass the gateway, mallory's has none,
seed_demo gives it its settings and trusts its domain."""

import io
import json
import re
from html import unescape

import pytest
from django.core.management import call_command

from demo import shop
from installcheck import messenger
from tests.factories import current_key, secret_of
from tests.installcheck.traffic import send
from workspaces.models import TrustedDomain, Workspace


@pytest.fixture
def app(workspace, monkeypatch):
    kid, key = current_key(workspace)
    config = shop.ShopConfig(
        app_id=workspace.app_id,
        verity="http://verity.test",
        identity_secret=secret_of(workspace, "web"),
        jwt_key=key,
        jwt_kid=kid,
    )
    for name, value in (
        ("VERITY_IDENTITY_SECRET", config.identity_secret),
        ("VERITY_MESSENGER_KEY", key),
        ("VERITY_MESSENGER_KID", kid),
    ):
        monkeypatch.setenv(name, value)
    return shop.Shop(config)


def call(app, method, path, *, cookie=None, body=b""):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path.split("?")[0],
        "QUERY_STRING": path.partition("?")[2],
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    answer = {}

    def start_response(status, headers):
        answer["status"], answer["headers"] = status, dict(headers)

    text = b"".join(app(environ, start_response)).decode()
    return answer["status"], answer["headers"], text


def login(app, user):
    status, headers, _ = call(app, "POST", "/login", body=f"user={user}".encode())
    assert status.startswith("303")
    return headers["Set-Cookie"].split(";")[0]


def inline_settings(text):
    return json.loads(re.search(r"var s = (\{.*?\});", text).group(1))


def test_alice_gets_a_jwt_the_gateway_verifies(app, workspace):
    _, _, text = call(app, "GET", "/", cookie=login(app, "alice"))
    settings = inline_settings(text)
    assert settings["user_id"] == "alice" and "user_hash" not in settings
    fields = {k: v for k, v in settings.items() if k != "app_id"}
    answer = send(workspace, origin="http://shop.localhost:8001", **fields)
    assert answer.json()["identity"] == "verified"
    assert "s.jwtRefresh" in text


def test_bob_gets_a_user_hash_the_gateway_verifies(app, workspace):
    _, _, text = call(app, "GET", "/", cookie=login(app, "bob"))
    settings = inline_settings(text)
    answer = send(workspace, user_id="bob", user_hash=settings["user_hash"])
    assert answer.json()["identity"] == "verified"


def test_the_expired_variant_is_refused_as_expired_and_token_gives_a_fresh_one(app, workspace):
    cookie = login(app, "alice")
    stale = inline_settings(call(app, "GET", "/?expired", cookie=cookie)[2])["user_jwt"]
    assert send(workspace, user_jwt=stale).json()["warning"] == "jwt_expired"
    status, _, body = call(app, "GET", "/token", cookie=cookie)
    assert status == "200 OK"
    assert send(workspace, user_jwt=json.loads(body)["user_jwt"]).json()["identity"] == "verified"


def test_mallory_claims_alice_without_proof(app):
    settings = inline_settings(call(app, "GET", "/mallory")[2])
    assert settings["user_id"] == "alice"
    assert not {"user_hash", "user_jwt"} & set(settings)


def test_a_forged_cookie_is_no_login(app):
    status, _, _ = call(app, "GET", "/token", cookie="shop_session=alice.0000")
    assert status.startswith("403")


def test_pages_embed_messenger_js_with_its_integrity(app):
    _, _, text = call(app, "GET", "/")
    assert f'src="http://verity.test{messenger.versioned_path()}"' in text
    assert f'integrity="{messenger.integrity()}" crossorigin="anonymous"' in text


def test_the_account_page_is_strict_and_uses_data_attributes(app, workspace):
    status, headers, text = call(app, "GET", "/account", cookie=login(app, "bob"))
    assert status == "200 OK"
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self' http://verity.test;" in csp and "unsafe-inline" not in csp
    assert "<script>" not in text
    tag = unescape(re.search(r"<script async [^>]*>", text).group(0))
    assert f'data-app-id="{workspace.app_id}"' in tag and 'data-user-id="bob"' in tag


@pytest.mark.django_db
def test_seed_demo_trusts_the_shop_and_writes_its_settings(settings, monkeypatch):
    from installcheck import ping
    from installcheck.counting import CountBuffer
    from installcheck.management.commands import seed_demo

    settings.REDIS_URL = None
    buffer = CountBuffer()
    monkeypatch.setattr(ping, "buffer", buffer)
    monkeypatch.setattr(seed_demo, "buffer", buffer)
    call_command("seed_demo", "--force", stdout=io.StringIO())
    call_command("seed_demo", "--force", stdout=io.StringIO())  # idempotent
    demo = Workspace.objects.get(name=seed_demo.DEMO_NAME, is_test=False)
    domains = set(TrustedDomain.objects.filter(workspace=demo).values_list("domain", flat=True))
    assert domains == {"shop.localhost", "*.acme.test"}
    path = settings.VAR_DIR / seed_demo.SHOP_FILE
    assert path.stat().st_mode & 0o077 == 0
    config = shop.load_config("http://127.0.0.1:8000", path)
    assert config.app_id == demo.app_id
    assert config.identity_secret == secret_of(demo, "web")
    assert (config.jwt_kid, config.jwt_key) == current_key(demo)
