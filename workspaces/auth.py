"""Login throttling and the client address, configured once for the console and the API."""

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_client_ip_address
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


def client_ip(request):
    """The caller's address for audit events, trusting X-Forwarded-For only as configured
    (VERITY_TRUSTED_PROXY_COUNT), like the login throttle."""
    request = getattr(request, "_request", request)  # DRF's Request wraps the HttpRequest
    return get_client_ip_address(request) or None


class HashedTokenAuthentication(TokenAuthentication):
    """DRF's ``Authorization: Token <key>``, looked up by the key's digest (ApiToken):
    the database never holds a usable key. Inactive users are refused."""

    def authenticate_credentials(self, key):
        from .models import ApiToken

        token = (
            ApiToken.objects.select_related("user").filter(digest=ApiToken.digest_of(key)).first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return token.user, token
