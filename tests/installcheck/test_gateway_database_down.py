"""The gateway with PostgreSQL unreachable: 503 with a JSON error, never an accept.

A gateway process reaches the test database through a TCP proxy that the test cuts (as a
network partition would) and then restores.
"""

import contextlib
import socket
import threading

import pytest

from security.actions.platforms import set_enforcement
from security.hashing import user_hash
from tests.factories import make_workspace, secret_of
from tests.installcheck.test_gateway_processes import (  # noqa: F401 (fixture)
    PROPAGATION_BOUND,
    database_url_of_the_test_database,
    gateways,
    wait_for,
)

pytestmark = pytest.mark.slow


class CuttableProxy:
    """Forwards 127.0.0.1:<port> to the database until ``cut`` drops every connection."""

    def __init__(self, target):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = True
        self.sockets = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self):
        self.open = False
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
        self.sockets = []

    def restore(self):
        self.open = True

    def close(self):
        self.cut()
        self.listener.close()


def test_database_loss_gives_503_never_an_accept_and_recovers(gateways):  # noqa: F811
    workspace = make_workspace("Partitioned")
    set_enforcement(workspace, "web", True, actor=None)
    secret = secret_of(workspace, "web")
    url = database_url_of_the_test_database()
    host_port = url.rsplit("@", 1)[1].split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    proxy = CuttableProxy((host, int(port)))
    try:
        proxied = url.replace(f"@{host_port}/", f"@127.0.0.1:{proxy.port}/")
        gateway = gateways("partitioned", DATABASE_URL=proxied, VERITY_DB_CONN_MAX_AGE="60")
        app = workspace.app_id
        unproven = {"app_id": app, "platform": "web", "user_id": "42"}
        proven = {**unproven, "user_hash": user_hash(secret, "42")}
        assert gateway.post(unproven)[0] == 403
        status, body = gateway.post(proven)
        assert (status, body["identity"]) == (200, "verified")

        proxy.cut()

        def unavailable():
            status, body = gateway.post(unproven)
            assert status in (403, 503), (status, body)  # never an accept
            return status == 503 and body["error"] == "service_unavailable"

        assert wait_for(unavailable, PROPAGATION_BOUND), gateway.log()
        for body in (unproven, proven, {"app_id": app, "platform": "web"}):
            status, answer = gateway.post(body)
            assert status == 503, (status, answer)
            assert answer["error"] == "service_unavailable" and answer["request_id"]

        proxy.restore()
        assert wait_for(lambda: gateway.post(proven)[0] == 200, 15), gateway.log()
        assert gateway.post(unproven)[0] == 403
    finally:
        proxy.close()
