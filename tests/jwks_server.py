"""A real local HTTPS server serving JWKS documents, for the JWKS fetcher's tests.

Its certificate is self-signed (made here with ``cryptography``) for ``localhost``,
``jwks.test`` and 127.0.0.1; the fetcher trusts it only through VERITY_JWKS_CA_BUNDLE
(``server.ca_bundle``). Each path answers what the test set with ``serve``: a status, a
body, headers, a delay before answering, or a body dripped byte by byte.
"""

import datetime
import ipaddress
import json
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NAMES = ("localhost", "jwks.test")


def self_signed(folder):
    """(certificate path, key path) of a fresh self-signed certificate for NAMES."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "verity-test-jwks")])
    now = datetime.datetime.now(datetime.UTC)
    alt = [x509.DNSName(n) for n in NAMES] + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "jwks-cert.pem", folder / "jwks-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class JwksServer:
    def __init__(self, folder):
        cert_path, key_path = self_signed(folder)
        self.ca_bundle = str(cert_path)
        self.routes = {}
        self.hits = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                path = self.path
                server.hits[path] = server.hits.get(path, 0) + 1
                status, body, headers, delay, drip = server.routes.get(
                    path, (404, b"not here", {}, 0, False)
                )
                if delay:
                    time.sleep(delay)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if "Content-Length" not in headers and not drip:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    if drip:
                        for byte in body:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(drip)
                    else:
                        self.wfile.write(body)
                except OSError:
                    pass  # the fetcher hung up (a cap): fine

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/jwks.json", host="localhost"):
        return f"https://{host}:{self.port}{path}"

    def serve(self, path, body=b"", status=200, headers=None, delay=0, drip=False):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        headers = headers if headers is not None else {"Content-Type": "application/json"}
        self.routes[path] = (status, body, headers, delay, drip)

    def publish(self, *jwks, path="/jwks.json"):
        """Serve a JWKS of these JWKs (dicts or JSON text)."""
        keys = [json.loads(j) if isinstance(j, str) else j for j in jwks]
        self.serve(path, {"keys": keys})

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(name="jwks_server")
def jwks_server_fixture(tmp_path):
    server = JwksServer(tmp_path)
    yield server
    server.stop()


@pytest.fixture(name="trusting")
def trusting_fixture(settings, jwks_server):
    """The fetcher trusts the local server (its CA bundle) and may fetch from 127.0.0.1."""
    settings.VERITY_JWKS_CA_BUNDLE = jwks_server.ca_bundle
    settings.VERITY_JWKS_ALLOW_PRIVATE_ADDRESSES = True
    return jwks_server
