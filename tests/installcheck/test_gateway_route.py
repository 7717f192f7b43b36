"""The gateway's WSGI route (what production servers call) answers like the Django view."""

import io
import json
from unittest import mock

import pytest

from config.wsgi import application
from installcheck import ping
from installcheck.counting import buffer
from security.actions.platforms import set_enforcement, set_version_policy
from security.hashing import user_hash
from tests.factories import secret_of

URL = "/messenger/v1/ping"
VOLATILE = {"X-Request-ID", "Content-Length"}


def call(body=b"", method="POST", path=URL, **environ_extra):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        **environ_extra,
    }
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, headers

    chunks = application(environ, start_response)
    body = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return int(seen["status"].split()[0]), dict(seen["headers"]), body


def cases(workspace):
    good = user_hash(secret_of(workspace, "web"), "42")
    app = workspace.app_id
    return [
        {"app_id": app, "platform": "web"},
        {"app_id": app, "platform": "web", "user_id": "42", "user_hash": good},
        {"app_id": app, "platform": "web", "user_id": "42", "user_hash": "0" * 64},
        {"app_id": app, "platform": "web", "user_id": "42"},
        {"app_id": app, "platform": "web", "user_id": "42", "app_version": "5.1.0"},
        {"app_id": app, "platform": "web", "user_id": "42", "app_version": "5.2.0"},
        {"app_id": "nope", "platform": "web"},
        {"app_id": app, "platform": "tv"},
    ]


@pytest.mark.parametrize("enforced", [False, True, "from 5.2.0"])
def test_every_decision_is_the_same_through_wsgi_and_django(client, workspace, enforced):
    if enforced:
        set_enforcement(workspace, "web", True, actor=None)
    if enforced == "from 5.2.0":
        set_version_policy(workspace, "web", "5.2.0", actor=None)
    origin = "https://shop.acme.test"
    for body in cases(workspace):
        raw = json.dumps(body).encode()
        status, headers, data = call(raw, HTTP_ORIGIN=origin)
        response = client.post(URL, raw, content_type="application/json", HTTP_ORIGIN=origin)
        assert status == response.status_code, body
        wsgi_body, django_body = json.loads(data), response.json()
        assert headers["X-Request-ID"] == wsgi_body.pop("request_id")
        django_body.pop("request_id")
        assert wsgi_body == django_body
        for name, value in headers.items():
            if name not in VOLATILE:
                assert response[name] == value, name
        assert headers["Content-Length"] == str(len(data))


def test_wsgi_route_sends_security_headers_and_no_store(workspace):
    status, headers, _ = call(json.dumps({"app_id": workspace.app_id, "platform": "web"}).encode())
    assert status == 200
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "X-Verity-Worker" not in headers


def test_the_worker_header_only_when_asked(workspace, settings):
    settings.VERITY_GATEWAY_WORKER_HEADER = True
    _, headers, _ = call(json.dumps({"app_id": workspace.app_id, "platform": "web"}).encode())
    assert headers["X-Verity-Worker"].isdigit()


def test_wsgi_route_preflight_and_wrong_method(db):
    status, headers, body = call(method="OPTIONS")
    assert (status, body) == (204, b"")
    assert "POST" in headers["Access-Control-Allow-Methods"]
    status, headers, body = call(method="GET")
    assert status == 405 and headers["Allow"] == "POST, OPTIONS"
    assert json.loads(body)["error"] == "method_not_allowed"


def test_wsgi_route_reads_only_the_declared_body(workspace):
    raw = json.dumps({"app_id": workspace.app_id, "platform": "web"}).encode()
    # Trailing bytes past Content-Length belong to the next request: never read.
    status, _, _ = call(raw, **{"wsgi.input": io.BytesIO(raw + b"GARBAGE")})
    assert status == 200


def test_wsgi_route_chunked_body_over_the_limit_is_413(workspace):
    raw = json.dumps({"app_id": workspace.app_id, "platform": "web", "pad": "x" * 20_000})
    status, _, body = call(raw.encode(), CONTENT_LENGTH="", **{"wsgi.input_terminated": True})
    assert (status, json.loads(body)["error"]) == (413, "payload_too_large")


def test_wsgi_route_without_length_or_terminated_stream_reads_nothing(db):
    status, _, body = call(b'{"app_id": "x"}', CONTENT_LENGTH="")
    assert (status, json.loads(body)["error"]) == (400, "bad_request")


def test_an_unexpected_error_is_a_json_500_and_logged(workspace, caplog):
    raw = json.dumps({"app_id": workspace.app_id, "platform": "web"}).encode()
    with mock.patch.object(ping.gateway, "decide", side_effect=RuntimeError("boom")):
        status, headers, body = call(raw)
    assert status == 500
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"] == "internal_error"
    assert b"boom" not in body and b"Traceback" not in body
    assert "gateway failed on a request: RuntimeError" in caplog.text


def test_other_paths_go_to_django(db):
    status, _, _ = call(method="GET", path="/login/")
    assert status == 200


def test_wsgi_route_counts_like_the_view(workspace):
    raw = json.dumps({"app_id": workspace.app_id, "platform": "web"}).encode()
    for _ in range(3):
        call(raw, HTTP_ORIGIN="https://shop.acme.test")
    assert buffer.pending() == 3


def test_request_ids_are_unique_and_searchable_by_their_start():
    ids = [ping.request_ids.next() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert len({i[:8] for i in ids}) == len(ids)
    assert all(len(i) == 16 and int(i, 16) >= 0 for i in ids)


@pytest.fixture
def https_only(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_PROXY_SSL_HEADER = None
    return settings


def test_plain_http_is_refused_not_redirected_through_both_doors(client, workspace, https_only):
    raw = json.dumps({"app_id": workspace.app_id, "platform": "web"}).encode()
    status, headers, body = call(raw)
    assert (status, json.loads(body)["error"]) == (403, "https_required")
    assert "Strict-Transport-Security" not in headers
    response = client.post(URL, raw, content_type="application/json")
    assert (response.status_code, response.json()["error"]) == (403, "https_required")


def test_https_is_served_with_hsts_through_both_doors(client, workspace, https_only):
    raw = json.dumps({"app_id": workspace.app_id, "platform": "web"}).encode()
    status, headers, _ = call(raw, **{"wsgi.url_scheme": "https"})
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    response = client.post(URL, raw, content_type="application/json", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == headers["Strict-Transport-Security"]


def test_the_proxy_header_counts_only_when_configured(workspace, https_only):
    raw = json.dumps({"app_id": workspace.app_id, "platform": "web"}).encode()
    forged = {"HTTP_X_FORWARDED_PROTO": "https"}
    assert call(raw, **forged)[0] == 403
    https_only.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert call(raw, **forged)[0] == 200
    assert call(raw, HTTP_X_FORWARDED_PROTO="http", **{"wsgi.url_scheme": "https"})[0] == 403


def test_a_worker_hands_the_gil_over_every_half_millisecond():
    """Loading the WSGI application shortens CPython's switch interval (5 ms), so a
    background thread holding the GIL delays a request by at most that much."""
    import sys

    import config.wsgi

    assert config.wsgi.GIL_SWITCH_INTERVAL == 0.0005
    assert sys.getswitchinterval() == pytest.approx(0.0005)
