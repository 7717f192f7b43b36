"""Typed reading of the environment for config/settings.py: a bad value stops the start
with a message naming the variable, never falls back silently."""

import os
from email.utils import parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name, default, *, minimum=None):
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_float(name, default, *, minimum=None):
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name, default=()):
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


_EMAIL_SCHEMES = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
}
_EMAIL_OPTIONS = {"tls", "ssl", "timeout"}


def env_email_url(name, default, *, base_dir):
    """Django's EMAIL_* settings from a URL: ``smtp://user:password@host:587?tls=1``,
    ``smtps://user:password@host`` (implicit TLS, port 465), ``console://`` or
    ``file:///path`` (``file:var/mail``: relative to ``base_dir``). No well-kept parser
    (dj-email-url, django-environ) is installed, so the standard library splits the URL;
    anything it does not cover (an unknown scheme or option, a bad port or timeout, TLS
    and SSL together, an SMTP URL without a host) stops the start."""
    raw = os.environ.get(name, default)

    def refuse(why):
        # Never echo the value: it may hold the SMTP password.
        return ImproperlyConfigured(f"{name}: {why}")

    try:
        parts = urlsplit(raw)
        port = parts.port
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise refuse("not a URL with a valid port") from None
    if parts.scheme not in _EMAIL_SCHEMES:
        raise refuse(f"the scheme must be one of {', '.join(sorted(_EMAIL_SCHEMES))}")
    unknown = set(query) - _EMAIL_OPTIONS
    if unknown or any(len(values) > 1 for values in query.values()):
        raise refuse(f"options are tls, ssl and timeout, each once (got {sorted(query)})")
    if parts.fragment:
        raise refuse("a fragment (#...) is not allowed")
    settings = {"EMAIL_BACKEND": _EMAIL_SCHEMES[parts.scheme]}

    if parts.scheme == "file":
        path = unquote(parts.netloc + parts.path)
        if not path or query:
            raise refuse("a file URL needs a directory (file:///abs/path or file:var/mail)")
        settings["EMAIL_FILE_PATH"] = os.path.join(base_dir, path)
        return settings
    if parts.scheme == "console":
        if parts.netloc or parts.path or query:
            raise refuse("console:// takes no host, path or options")
        return settings

    def flag(option):
        value = query.get(option, ["0"])[0].strip().lower()
        if value not in _TRUE | _FALSE:
            raise refuse(f"{option} must be 1 or 0")
        return value in _TRUE

    use_tls, use_ssl = flag("tls"), flag("ssl") or parts.scheme == "smtps"
    if use_tls and use_ssl:
        raise refuse("STARTTLS (tls=1) and implicit TLS (smtps:// or ssl=1) exclude each other")
    if not parts.hostname or parts.path not in ("", "/"):
        raise refuse("an SMTP URL needs a host and no path")
    try:
        timeout = float(query.get("timeout", ["10"])[0])
    except ValueError:
        raise refuse("timeout must be a number of seconds") from None
    if not 0 < timeout <= 300:
        raise refuse("timeout must be between 0 and 300 seconds")
    settings.update(
        EMAIL_HOST=parts.hostname,
        EMAIL_PORT=port or (465 if use_ssl else 587 if use_tls else 25),
        EMAIL_HOST_USER=unquote(parts.username or ""),
        EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
        EMAIL_USE_TLS=use_tls,
        EMAIL_USE_SSL=use_ssl,
        EMAIL_TIMEOUT=timeout,
    )
    return settings


def env_email_address(name, default):
    """A sender such as ``Verity <verity@example.com>`` or a bare address."""
    raw = os.environ.get(name, default)
    _, address = parseaddr(raw)
    try:
        validate_email(address)
    except ValidationError:
        raise ImproperlyConfigured(f"{name} must be an email address, got {raw!r}") from None
    if "\n" in raw or "\r" in raw:
        raise ImproperlyConfigured(f"{name} must be one line")
    return raw
