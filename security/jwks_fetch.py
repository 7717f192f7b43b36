"""Fetching a JWKS URL: https only, guarded against server-side request forgery.

``check_url`` is the registration's rule (syntax only, no network). ``fetch`` is the Celery
job's: it resolves the host once, refuses the whole URL if any address it resolves to is
not a public unicast address, then connects to an address it has checked (TLS still
verifies the certificate against the host name, with SNI), so a second DNS answer cannot
swap in an internal address between the check and the connection. Redirects are never
followed; the body is capped in bytes and the whole exchange in time.

Allowed: only global unicast addresses. Refused: private (RFC 1918, fc00::/7), loopback,
link-local (169.254/16 with the cloud metadata services, fe80::/10), multicast, reserved,
unspecified, shared (100.64/10) and documentation ranges, and an IPv6 address that embeds
a refused IPv4 one (IPv4-mapped ``::ffff:a.b.c.d``, 6to4 ``2002::/16``, NAT64
``64:ff9b::/96``). ``allow_private`` lifts the address check (DEBUG, or the tests'
local server through VERITY_JWKS_ALLOW_PRIVATE_ADDRESSES); https never is lifted.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048
USER_AGENT = "Verity-JWKS-fetcher/1"
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class FetchFailed(Exception):
    """Why a fetch failed: ``reason`` is a short sentence safe to show the customer."""

    def __init__(self, reason, code="jwks_fetch_failed"):
        super().__init__(reason)
        self.reason = reason
        self.code = code


def check_url(url):
    """(host, port, path) of an acceptable JWKS URL; raises FetchFailed naming the rule."""
    if not isinstance(url, str) or not url.strip():
        raise FetchFailed("Give the https URL of your JWKS.", "invalid_jwks_url")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise FetchFailed(f"A JWKS URL is at most {MAX_URL_LENGTH} characters.", "invalid_jwks_url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise FetchFailed("This is not a URL.", "invalid_jwks_url") from None
    if parts.scheme.lower() != "https":
        raise FetchFailed(
            "A JWKS URL must use https:// (keys fetched over plain http could be swapped "
            "on the way).",
            "jwks_url_not_https",
        )
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise FetchFailed(
            "A JWKS URL needs a host name and no user name or password.", "invalid_jwks_url"
        )
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise FetchFailed("A JWKS URL has no spaces or control characters.", "invalid_jwks_url")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.hostname, port or 443, path


def refused_address(address):
    """Why ``address`` (an ipaddress object) may not be fetched from, or None."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return refused_address(embedded)
    for flag in ("is_unspecified", "is_loopback", "is_link_local", "is_multicast"):
        if getattr(address, flag):
            return f"{address} is a {flag[3:].replace('_', '-')} address"
    if address.is_private or address.is_reserved or not address.is_global:
        return f"{address} is a private or reserved address"
    return None


def resolve(host, port, allow_private):
    """The addresses to connect to, each checked; raises FetchFailed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchFailed(f"the host {host} does not resolve ({exc})") from None
    addresses = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not allow_private:
        for address in addresses:
            why = refused_address(address)
            if why is not None:
                raise FetchFailed(
                    f"the host {host} resolves to {why}: Verity fetches JWKS from public "
                    "addresses only",
                    "jwks_address_refused",
                )
    return addresses


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to ``host`` over a connection to the already checked ``address``."""

    def __init__(self, host, port, address, context, timeout):
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._tls = context

    def connect(self):
        # A socket of the address's own family, connected to the address itself: no
        # resolver is asked again (socket.create_connection would call getaddrinfo).
        family = socket.AF_INET6 if self._address.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect((str(self._address), self.port))
            self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def tls_context(cafile=None):
    """Certificate and host-name verification always; ``cafile`` replaces the system's CAs."""
    context = ssl.create_default_context(cafile=cafile)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def fetch(url, *, timeout, max_bytes, allow_private=False, cafile=None):
    """The body of ``url`` (bytes, at most ``max_bytes``); raises FetchFailed."""
    host, port, path = check_url(url)
    deadline = time.monotonic() + timeout
    addresses = resolve(host, port, allow_private)
    context = tls_context(cafile)
    last = None
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        connection = _PinnedHTTPSConnection(host, port, address, context, remaining)
        try:
            connection.connect()
        except ssl.SSLCertVerificationError as exc:
            connection.close()
            raise FetchFailed(
                f"the TLS certificate does not verify ({exc.verify_message})"
            ) from None
        except (OSError, ssl.SSLError) as exc:
            connection.close()
            last = exc
            continue
        try:
            return _get(connection, path, deadline, max_bytes)
        finally:
            connection.close()
    if last is None or isinstance(last, TimeoutError | socket.timeout):
        raise FetchFailed(f"no answer within {timeout:g} s")
    raise FetchFailed(f"cannot connect to {host}:{port} ({type(last).__name__})")


def _get(connection, path, deadline, max_bytes):
    # The response may take the socket over from the connection (connection.sock = None).
    sock = connection.sock
    try:
        connection.request(
            "GET",
            path,
            headers={
                "Accept": "application/jwk-set+json, application/json",
                "User-Agent": USER_AGENT,
                "Accept-Encoding": "identity",
            },
        )
        response = connection.getresponse()
        if 300 <= response.status < 400:
            raise FetchFailed(
                f"the server answered {response.status} (a redirect): Verity does not follow "
                "redirects; register the final URL"
            )
        if response.status != 200:
            raise FetchFailed(f"the server answered HTTP {response.status}")
        encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
        if encoding != "identity":
            raise FetchFailed(f"the response is compressed ({encoding}); serve it plain")
        declared = response.getheader("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            raise FetchFailed(f"the response is larger than {max_bytes} bytes")
        chunks, size = [], 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            sock.settimeout(remaining)
            chunk = response.read1(16384)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise FetchFailed(f"the response is larger than {max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
    except TimeoutError:
        raise FetchFailed("the response did not arrive in time") from None
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        raise FetchFailed(f"the connection failed ({type(exc).__name__})") from None
