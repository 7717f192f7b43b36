"""Verity settings: one file, read from the environment.

Development defaults are safe to run on a laptop (SQLite, an embedded Celery broker,
keys generated into ``var/``); outside DEBUG a missing ``SECRET_KEY`` or
``VERITY_ENCRYPTION_KEYS`` stops the start.
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    env_bool,
    env_email_address,
    env_email_url,
    env_int,
    env_list,
    env_str,
)
from config.keys import check_fernet_keys, development_keys, refuse_missing_keys
from config.logs import ErrorsLoggedOnce, OneLineClientErrors

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VERITY_VAR_DIR", BASE_DIR / "var"))

DEBUG = env_bool("VERITY_DEBUG", False)

# Whitespace is no key: "SECRET_KEY=' '" counts as missing, never as a key.
_secret_key = (env_str("SECRET_KEY") or "").strip()
_encryption_keys = env_list("VERITY_ENCRYPTION_KEYS")
if not (_secret_key and _encryption_keys):
    if not DEBUG:
        refuse_missing_keys(SECRET_KEY=_secret_key, VERITY_ENCRYPTION_KEYS=_encryption_keys)
    _dev = development_keys(VAR_DIR)
    _secret_key = _secret_key or _dev["SECRET_KEY"]
    _encryption_keys = _encryption_keys or [_dev["VERITY_ENCRYPTION_KEYS"]]


check_fernet_keys(_encryption_keys)

SECRET_KEY = _secret_key
# Newest first: MultiFernet encrypts with the first key and decrypts with any.
VERITY_ENCRYPTION_KEYS = _encryption_keys

ALLOWED_HOSTS = env_list(
    "VERITY_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("VERITY_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "axes",
    # Second factors (workspaces/two_factor.py): recovery codes, WebAuthn passkeys; the
    # authenticator app is security.authenticator (its seed encrypted like every secret).
    "django_otp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "workspaces",
    "security",
    "installcheck",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A 405 on a console path: the friendly page with a way back, not a blank one.
    "config.errors.MethodNotAllowedPageMiddleware",
    # DEBUG only: the product's 404 page instead of Django's list of URL patterns.
    "config.errors.NotFoundPageInDebugMiddleware",
    # A refusal or an unreachable service that no view rendered: 4xx/503, never a 500.
    "config.errors.RefusalMiddleware",
    # A workspace or support page asked of a user without a required second factor:
    # the enrolment page (the API answers 403 two_factor_required).
    "workspaces.two_factor.EnrolmentRedirectMiddleware",
    # Last, as django-axes requires: it turns a lockout into the friendly lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("VERITY_DB_CONN_MAX_AGE", 60, minimum=0)
        )
    }
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "verity.sqlite3",
            # Web, worker and beat share the file: wait for locks instead of failing.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "verity",
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
else:
    # Shared across the web server, worker and beat processes of `make run`.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "verity_cache",
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

AUTHENTICATION_BACKENDS = [
    "workspaces.auth.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# --- Login throttling (django-axes) -----------------------------------------------------
# Locks a (username, IP) pair, never a username alone, so nobody can lock a colleague
# out from elsewhere; the lock lifts itself after the cool-off.
AXES_FAILURE_LIMIT = env_int("VERITY_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("VERITY_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# X-Forwarded-For is anybody's to write: it is only believed when the deployment says how
# many reverse proxies (each appending one address) stand in front of Verity. One resolver
# (workspaces.auth.client_address) reads it for the login lock, audit and the gateway.
VERITY_TRUSTED_PROXY_COUNT = env_int("VERITY_TRUSTED_PROXY_COUNT", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "workspaces.auth.client_ip"

# --- Email ------------------------------------------------------------------------------
# EMAIL_URL: smtp://user:password@host:587?tls=1, smtps://..., console://, file:///dir.
# Development writes each message as a file under var/mail/ (bin/run.py says so); outside
# DEBUG the default is an SMTP server on this host. Mail is sent by a Celery task that
# logs a failure with the recipient's domain and retries (workspaces/mail.py).
globals().update(
    env_email_url(
        "EMAIL_URL",
        f"file://{VAR_DIR / 'mail'}" if DEBUG else "smtp://localhost:25",
        base_dir=BASE_DIR,
    )
)
DEFAULT_FROM_EMAIL = env_email_address("VERITY_EMAIL_FROM", "Verity <verity@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# A reset link is good for an hour (Django's default is three days).
PASSWORD_RESET_TIMEOUT = env_int("VERITY_PASSWORD_RESET_MINUTES", 60, minimum=5) * 60
# Reset emails per address and per account per hour (workspaces/throttle.py).
VERITY_PASSWORD_RESET_LIMIT = env_int("VERITY_PASSWORD_RESET_LIMIT", 3, minimum=1)

# --- Two-factor (django-otp, django-otp-webauthn) -------------------------------------
# The relying party is the host the console is served from (workspaces/passkeys.py); a
# passkey works only under the name it was registered on. No login by passkey alone: it
# is a second factor, after the password and django-axes' lock.
OTP_WEBAUTHN_HELPER_CLASS = "workspaces.passkeys.PasskeyHelper"
OTP_WEBAUTHN_RP_ID_CALLABLE = "workspaces.passkeys.rp_id_of"
OTP_WEBAUTHN_RP_NAME = "Verity"
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_TOTP_ISSUER = "Verity"
# Wrong codes in a row before django-otp's own pause (it doubles with each further one).
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

LOGIN_URL = "workspaces:login"
LOGIN_REDIRECT_URL = "workspaces:home"
LOGOUT_REDIRECT_URL = "workspaces:login"

REST_FRAMEWORK = {
    # Token first: DRF answers a missing or bad credential with 401 + WWW-Authenticate from
    # the first class's challenge (sessions have none: 403). A request without a Token
    # header falls through to the session, which still enforces CSRF.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "workspaces.auth.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "workspaces.api.errors.json_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Verity API",
    "DESCRIPTION": "Identity verification console and messenger gateway.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": (
        ["rest_framework.permissions.AllowAny"]
        if DEBUG
        else ["rest_framework.permissions.IsAuthenticated"]
    ),
    # Swagger UI from our own static files (drf-spectacular-sidecar): the CSP allows no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "PREPROCESSING_HOOKS": ["config.schema.drop_trailing_slash_aliases"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.add_gateway",
    ],
}

# --- Celery -------------------------------------------------------------------------
# Redis when REDIS_URL is set; otherwise kombu's filesystem transport, which needs no
# server and still connects separate web, worker and beat processes.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    _queue_dir = VAR_DIR / "celery-queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_queue_dir),
        "store_processed": False,
        # Otherwise kombu writes its broadcast exchange files into the working directory.
        "control_folder": str(_queue_dir / "control"),
    }
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("VERITY_CELERY_EAGER", False)
# A task delivered more often than this (it killed its worker every time, so acks_late
# kept redelivering it) is dropped with an ERROR log instead of run (config.celery).
VERITY_TASK_MAX_DELIVERIES = env_int("VERITY_TASK_MAX_DELIVERIES", 3, minimum=1)

# --- The gateway and JWKS URLs: their tunables live in config/gateway_settings.py ---------
from config.gateway_settings import *  # noqa: E402,F403

# The fetcher refuses private, loopback, link-local and other non-public addresses unless
# DEBUG or this switch (tests fetching from a local server) says otherwise.
VERITY_JWKS_ALLOW_PRIVATE_ADDRESSES = env_bool("VERITY_JWKS_ALLOW_PRIVATE_ADDRESSES", DEBUG)

LOG_LEVEL = env_str("VERITY_LOG_LEVEL", "INFO")


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": OneLineClientErrors,
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "filters": {"once": {"()": ErrorsLoggedOnce}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["once"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Django's own DEBUG console handlers (django, django.server) would print django.*
    # lines a second time, in another format: everything goes through the root handler.
    "loggers": {"django": {"handlers": [], "level": LOG_LEVEL, "propagate": True}},
}

# --- Production hardening: HTTPS, cookies, headers ------------------------------------
# Outside DEBUG every default is the strict one; `manage.py check --deploy` stays clean.
SECURE_HSTS_SECONDS = env_int("VERITY_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("VERITY_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("VERITY_HSTS_PRELOAD", False)
# Plain HTTP is redirected to HTTPS. Behind a TLS-terminating proxy Django only knows the
# request was HTTPS from the proxy's X-Forwarded-Proto: believed by default as soon as
# VERITY_TRUSTED_PROXY_COUNT says a proxy stands in front (that proxy must overwrite the
# header). VERITY_PROXY_SSL_HEADER names another header, or "" to believe none.
SECURE_SSL_REDIRECT = env_bool("VERITY_SSL_REDIRECT", not DEBUG)
# The gateway refuses plain HTTP itself (403 https_required, installcheck.ping): a
# redirected POST would lose its body.
SECURE_REDIRECT_EXEMPT = [r"^messenger/v1/ping$"]
_proxy_ssl_header = env_str(
    "VERITY_PROXY_SSL_HEADER", "X-Forwarded-Proto" if VERITY_TRUSTED_PROXY_COUNT else ""
).strip()
if _proxy_ssl_header and not re.fullmatch(r"[A-Za-z0-9-]+", _proxy_ssl_header):
    raise ImproperlyConfigured(
        f"VERITY_PROXY_SSL_HEADER must be a header name like X-Forwarded-Proto, "
        f"got {_proxy_ssl_header!r}"
    )
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https") if _proxy_ssl_header else None
)
SESSION_COOKIE_SECURE = env_bool("VERITY_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# No script reads the CSRF cookie: htmx sends the token rendered into base.html's
# hx-headers, and the API docs' script gets it rendered into the script itself.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Preloading is the domain owner's decision (hstspreload.org, hard to undo), so it is off
# by default; only then is Django's reminder about it silenced.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# django-otp-webauthn wants a fixed list of origins; Verity's helper expects exactly the
# origin each page was served from (a host in ALLOWED_HOSTS: workspaces/passkeys.py).
SILENCED_SYSTEM_CHECKS.append("otp_webauthn.E030")

# config/wsgi.py, config/asgi.py and the Celery worker refuse to start when the master
# keys cannot open the stored secrets (security/startup.py). Not an environment switch:
# only tests/settings.py turns it off, inside the pytest process itself.
VERITY_STARTUP_CHECK = True

# The API answers JSON, to browsers too: DRF's browsable API (HTML, inline styles, errors
# as pages) only in DEBUG. Views that render HTML for htmx name their own renderers.
if not DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = ["rest_framework.renderers.JSONRenderer"]

# --- Content Security Policy (django-csp) ---------------------------------------------
# No inline script, style attribute or on* handler anywhere (tests/config/test_csp.py
# scans templates/); htmx's indicator <style> is switched off in base.html.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Swagger UI's and the browser's own small icons are data: URIs.
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}
