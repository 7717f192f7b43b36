"""Login throttling and the client address, configured once for the console and the API."""

import socket

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for logins that come with a request.

    A call without a request (the shell, Django's test client) has no address to lock, so
    it falls through to the plain ModelBackend instead of raising.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


# Returned when no entry of the chain is an address (a Unix-socket peer without proxies):
# never None, so that such callers still share a lock key rather than escape it.
UNKNOWN_ADDRESS = "0.0.0.0"  # noqa: S104  (a value, not a bind address)


def client_address(meta, proxies=None):
    """The caller's address from a WSGI environ or ``request.META``; never None.

    The chain is the X-Forwarded-For entries followed by REMOTE_ADDR. Each of the
    ``proxies`` (VERITY_TRUSTED_PROXY_COUNT) trusted reverse proxies appends the address
    it received the connection from, and the nearest one is REMOTE_ADDR; so the last
    ``proxies`` entries of the chain are our proxies and the one before them is the
    client: ``chain[-(proxies + 1)]``. 0 proxies: REMOTE_ADDR, X-Forwarded-For ignored.
    Whatever a client writes into X-Forwarded-For lands left of that position: it can
    prepend entries but cannot remove or replace the ones our proxies append.

    - A chain shorter than ``proxies + 1`` (the request skipped some of our proxies, or
      the count is set too high): its left-most address. Who can send such a request can
      as well pad the header to place any address at the client's position, so this
      gives nothing away, and it is the best guess for an honest client.
    - An entry that is not an IP address (``unknown``, garbage, empty) still holds its
      position, so it cannot shift the chain; when the client's position holds one, the
      next valid address to its right counts (one appended by a proxy we trust), never
      one to its left.
    - Addresses are normalised (``2001:DB8::1`` and ``2001:db8::1`` are one client);
      ``1.2.3.4:5678`` and ``[2001:db8::1]:443`` (proxies that append the port) count
      as their address.
    """
    if proxies is None:
        proxies = settings.VERITY_TRUSTED_PROXY_COUNT
    remote = meta.get("REMOTE_ADDR") or ""
    forwarded = meta.get("HTTP_X_FORWARDED_FOR") if proxies else None
    if not forwarded:
        return _address(remote) or UNKNOWN_ADDRESS
    chain = forwarded.split(",")
    chain.append(remote)
    for entry in chain[max(0, len(chain) - proxies - 1) :]:
        address = _address(entry)
        if address is not None:
            return address
    return UNKNOWN_ADDRESS


def _address(entry):
    """The normalised IP address in one chain entry, or None. inet_pton, not
    ipaddress: the gateway calls this on every request and it is ~15x cheaper."""
    entry = entry.strip()
    if entry.startswith("["):  # [2001:db8::1]:443
        entry = entry[1 : entry.find("]")]
    elif entry.count(":") == 1:  # 192.0.2.1:5678
        entry = entry.partition(":")[0]
    family = socket.AF_INET6 if ":" in entry else socket.AF_INET
    try:
        address = socket.inet_ntop(family, socket.inet_pton(family, entry))
    except (OSError, ValueError):  # ValueError: NUL or characters beyond ASCII
        return None
    if address.startswith("::ffff:") and "." in address:
        return address[7:]  # an IPv4 client seen through an IPv6 socket
    return address


def client_ip(request):
    """The caller's address (``client_address``) for a Django or DRF request: the one
    definition used by the login throttle (AXES_CLIENT_IP_CALLABLE), audit events, the
    reveal limits and, on the environ, the gateway's per-source limit."""
    request = getattr(request, "_request", request)  # DRF's Request wraps the HttpRequest
    return client_address(request.META)


class HashedTokenAuthentication(TokenAuthentication):
    """DRF's ``Authorization: Token <key>``, looked up by the key's digest (ApiToken):
    the database never holds a usable key. Inactive users are refused."""

    def authenticate_credentials(self, key):
        # Here, not at the top: settings name this module (axes' address callable), and
        # importing models then would run before the app registry is ready.
        from .models import ApiToken  # noqa: PLC0415

        token = (
            ApiToken.objects.select_related("user").filter(digest=ApiToken.digest_of(key)).first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return token.user, token


def base_url(request):
    """The scheme and host this request came to: where an emailed link should point."""
    return request.build_absolute_uri("/").rstrip("/")
