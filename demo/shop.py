"""The demo shop: a customer's web site on a second origin, with messenger.js embedded.

A tiny WSGI app with no Django: alice and bob log in (no password: it is a demo), and the
shop's server makes their proofs with Verity's own server-side snippets
(security/snippets: alice gets a messenger JWT, bob a user_hash). Mallory's page claims
to be alice without any proof. ``make run`` starts it at http://shop.localhost:8001/;
its settings come from var/demo-shop.json, which ``manage.py seed_demo`` writes.

    python -m demo.shop --port 8001 --verity http://127.0.0.1:8000
"""

import argparse
import contextlib
import hashlib
import hmac
import html
import json
import os
import secrets
import sys
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import jwt

from installcheck import messenger
from security.snippets.messenger_jwt import messenger_jwt
from security.snippets.user_hash import user_hash

ROOT = Path(__file__).resolve().parent.parent
CONFIG_FILE = Path(os.environ.get("VERITY_VAR_DIR", ROOT / "var")) / "demo-shop.json"
# username: (email, proof method). Both are the shop's customers, not Verity's users.
CUSTOMERS = {"alice": ("alice@example.com", "jwt"), "bob": ("bob@example.com", "user_hash")}
COOKIE = "shop_session"
PRODUCTS = (("Verified tea", "4.50"), ("Signed socks", "9.00"), ("HMAC mug", "12.00"))


@dataclass(frozen=True)
class ShopConfig:
    app_id: str
    verity: str  # Verity's origin, where messenger.js and the gateway live
    identity_secret: str  # the web platform's secret (user_hash)
    jwt_key: str
    jwt_kid: str

    def export(self):
        """Hand the secrets to the snippets the way they read them: the environment."""
        os.environ["VERITY_IDENTITY_SECRET"] = self.identity_secret
        os.environ["VERITY_MESSENGER_KEY"] = self.jwt_key
        os.environ["VERITY_MESSENGER_KID"] = self.jwt_kid


def load_config(verity, path=CONFIG_FILE):
    data = json.loads(path.read_text())
    return ShopConfig(verity=verity.rstrip("/"), **data)


def expired_jwt(user_id, email, config):
    """A token that expired an hour ago (to show messenger.js asking for a fresh one)."""
    past = int(time.time()) - 7200
    claims = {"user_id": user_id, "email": email, "iat": past, "exp": past + 3600}
    return jwt.encode(claims, config.jwt_key, algorithm="HS256", headers={"kid": config.jwt_kid})


def identity(username, config, *, expired=False):
    """The messenger settings of a logged-in customer, proof made on this server."""
    email, method = CUSTOMERS[username]
    settings = {"app_id": config.app_id, "user_id": username, "email": email}
    if method == "jwt":
        # The request carries the email, so the token must carry the same email claim.
        fresh = messenger_jwt(username, email)
        settings["user_jwt"] = expired_jwt(username, email, config) if expired else fresh
    else:
        settings["user_hash"] = user_hash(username)
    return settings


class Sessions:
    """A signed cookie holding the username (a per-process key: restarting logs out)."""

    def __init__(self):
        self.key = secrets.token_bytes(32)

    def cookie(self, username):
        mac = hmac.new(self.key, username.encode(), hashlib.sha256).hexdigest()
        return f"{username}.{mac}"

    def user(self, environ):
        jar = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        if COOKIE not in jar:
            return None
        username, _, mac = jar[COOKIE].value.partition(".")
        if username in CUSTOMERS and hmac.compare_digest(mac, self.cookie(username)[-64:]):
            return username
        return None


def _script_tag(config, data=None):
    attributes = "".join(
        f' data-{name.replace("_", "-")}="{html.escape(value)}"'
        for name, value in (data or {}).items()
    )
    src = config.verity + messenger.versioned_path()
    return (
        f'<script async src="{src}" integrity="{messenger.integrity()}" '
        f'crossorigin="anonymous"{attributes}></script>'
    )


def _inline_settings(settings, refresh):
    data = json.dumps(settings).replace("<", "\\u003c")
    refresh_fn = (
        'fetch("/token").then(function (r) { return r.json(); })'
        ".then(function (b) { return b.user_jwt; })"
    )
    extra = f"s.jwtRefresh = function () {{ return {refresh_fn}; }};" if refresh else ""
    return f"<script>var s = {data}; {extra} window.veritySettings = s;</script>"


def page(title, body, user, *, head=""):
    who = (
        f'<form method="post" action="/logout">Logged in as <strong data-testid="who">{user}'
        "</strong> <button>Log out</button></form>"
        if user
        else '<form method="post" action="/login">Log in as '
        '<button name="user" value="alice">alice</button> '
        '<button name="user" value="bob">bob</button></form>'
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Demo shop</title><link rel="stylesheet" href="/shop.css">
<script src="/shop.js"></script>{head}</head>
<body><header><a class="brand" href="/">Demo shop</a>
<nav><a href="/">Shop</a> <a href="/account">Account (strict CSP)</a>
<a href="/mallory">Mallory's page</a></nav>{who}</header>
<main><h1>{title}</h1>
<p class="status" id="verity-status" data-testid="verity-status">Messenger: starting…</p>
{body}</main></body></html>"""


def products():
    items = "".join(f"<li>{name} <span>€{price}</span></li>" for name, price in PRODUCTS)
    return f'<ul class="products">{items}</ul>'


class Shop:
    def __init__(self, config):
        self.config = config
        self.sessions = Sessions()

    def __call__(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        user = self.sessions.user(environ)
        routes = {
            ("GET", "/"): lambda: self.home(user, "expired" in query),
            ("GET", "/account"): lambda: self.account(user),
            ("GET", "/mallory"): self.mallory,
            ("GET", "/token"): lambda: self.token(user),
            ("POST", "/login"): lambda: self.login(environ),
            ("POST", "/logout"): self.logout,
            ("GET", "/shop.js"): lambda: ("200 OK", [("Content-Type", "text/javascript")], SHOP_JS),
            ("GET", "/shop.css"): lambda: ("200 OK", [("Content-Type", "text/css")], SHOP_CSS),
            ("GET", "/favicon.ico"): lambda: ("204 No Content", [], ""),
        }
        route = routes.get((method, path))
        if route is None:
            status, headers, body = "404 Not Found", [("Content-Type", "text/plain")], "Not found"
        else:
            status, headers, body = route()
        data = body.encode()
        start_response(status, [*headers, ("Content-Length", str(len(data)))])
        return [data]

    def _html(self, text, csp=None):
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")]
        if csp:
            headers.append(("Content-Security-Policy", csp))
        return "200 OK", headers, text

    def home(self, user, expired):
        settings = identity(user, self.config, expired=expired) if user else {}
        settings["app_id"] = self.config.app_id
        head = _inline_settings(settings, refresh="user_jwt" in settings)
        head += _script_tag(self.config)
        note = (
            f"<p>Your proof was made by the shop's server ({CUSTOMERS[user][1]}), with "
            "Verity's Python snippet. <a href='/?expired'>Start with an expired token</a>.</p>"
            if user
            else "<p>You are a visitor: the messenger needs no proof.</p>"
        )
        return self._html(page("Shop", note + products(), user, head=head))

    def account(self, user):
        if user is None:
            return "303 See Other", [("Location", "/")], ""
        settings = identity(user, self.config)
        settings["jwt_refresh_url"] = "/token"
        data = {k: v for k, v in settings.items() if k != "app_id"}
        verity = self.config.verity
        csp = (
            f"default-src 'self'; script-src 'self' {verity}; connect-src 'self' {verity}; "
            "style-src 'self'; base-uri 'none'; object-src 'none'; form-action 'self'"
        )
        tag = _script_tag(self.config, {"app_id": self.config.app_id, **data})
        body = (
            "<p>This page has a strict Content-Security-Policy: no inline script. "
            "messenger.js reads its settings from its own <code>data-</code> attributes.</p>"
        )
        return self._html(page("Your account", body, user, head=tag), csp=csp)

    def mallory(self):
        settings = {
            "app_id": self.config.app_id,
            "user_id": "alice",
            "email": CUSTOMERS["alice"][0],
        }
        head = _inline_settings(settings, refresh=False) + _script_tag(self.config)
        body = (
            "<p>Mallory typed alice's user_id and email into the messenger settings, but "
            "she has no proof: no shop server signed them. Until Verity enforces web the "
            "gateway serves her as <em>unverified</em>; once it does, it refuses her with a "
            "403. Open the browser console to read why.</p>"
        )
        return self._html(page("Mallory's page", body, None, head=head))

    def token(self, user):
        if user is None or CUSTOMERS[user][1] != "jwt":
            return "403 Forbidden", [("Content-Type", "application/json")], '{"error":"no_user"}'
        headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
        return "200 OK", headers, json.dumps({"user_jwt": messenger_jwt(user, CUSTOMERS[user][0])})

    def login(self, environ):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        form = parse_qs(environ["wsgi.input"].read(min(length, 1024)).decode())
        username = (form.get("user") or [""])[0]
        if username not in CUSTOMERS:
            return "400 Bad Request", [("Content-Type", "text/plain")], "Unknown customer"
        cookie = f"{COOKIE}={self.sessions.cookie(username)}; Path=/; HttpOnly; SameSite=Lax"
        return "303 See Other", [("Location", "/"), ("Set-Cookie", cookie)], ""

    def logout(self):
        cookie = f"{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
        return "303 See Other", [("Location", "/"), ("Set-Cookie", cookie)], ""


def not_seeded(environ, start_response):
    start_response("503 Service Unavailable", [("Content-Type", "text/plain; charset=utf-8")])
    return [f"No {CONFIG_FILE}: run `python manage.py seed_demo` (make run does).\n".encode()]


SHOP_JS = """// The shop's own script: shows what messenger.js reports (no inline script needed).
window.Verity = window.Verity || function () {
  (window.Verity.q = window.Verity.q || []).push(arguments);
};
window.Verity("onIdentity", function (o) {
  var box = document.getElementById("verity-status");
  if (!box) return;
  var what = o.identity + (o.warning ? " (" + o.warning + ")" : "") +
    (o.error ? " (" + o.status + " " + o.error + ")" : "");
  box.textContent = "Messenger: " + what;
  box.setAttribute("data-identity", o.identity);
  box.className = "status " + o.identity;
});
"""
SHOP_CSS = """body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1d2330; }
header { display: flex; flex-wrap: wrap; gap: 12px 20px; align-items: center;
  padding: 12px 20px; background: #0f766e; color: #fff; }
header a { color: #fff; } header form { margin-left: auto; }
.brand { font-weight: 700; text-decoration: none; }
main { max-width: 760px; margin: 0 auto; padding: 20px; }
.status { padding: 8px 12px; border-radius: 8px; background: #eef1f6; }
.status.verified, .status.visitor { background: #e3f5ea; }
.status.unverified { background: #fdf0e1; } .status.refused { background: #fde8e8; }
.products { list-style: none; padding: 0; display: grid; gap: 8px; }
.products li { display: flex; justify-content: space-between; padding: 12px;
  border: 1px solid #e4e7ec; border-radius: 8px; }
"""


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # the tests' servers log nothing
        pass


def serve(app, host, port, *, quiet=False):
    handler = _QuietHandler if quiet else WSGIRequestHandler
    return make_server(host, port, app, server_class=_ThreadingServer, handler_class=handler)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--verity", default="http://127.0.0.1:8000")
    args = parser.parse_args(argv)
    if CONFIG_FILE.exists():
        config = load_config(args.verity)
        config.export()
        app = Shop(config)
    else:
        print(f"demo shop: {CONFIG_FILE} is missing; run manage.py seed_demo", file=sys.stderr)
        app = not_seeded
    server = serve(app, args.host, args.port)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
