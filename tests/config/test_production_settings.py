"""The production configuration: `check --deploy` is clean; HTTPS, HSTS and cookies."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]

PRINT_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
names = [
    "DEBUG", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE", "X_FRAME_OPTIONS", "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY", "SILENCED_SYSTEM_CHECKS",
]
print(json.dumps({name: getattr(settings, name) for name in names}))
"""


def production_env(tmp_path, **extra):
    """A production start: DEBUG off, strong keys, a host name, a fresh SQLite database."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VERITY_", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DJANGO_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "VERITY_VAR_DIR": str(tmp_path),
            "VERITY_DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "VERITY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "VERITY_ALLOWED_HOSTS": "verity.example.com",
        }
    )
    env.update(extra)
    return env


def run(args, env):
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def production_settings(tmp_path, **extra):
    result = run(["-c", PRINT_SETTINGS], production_env(tmp_path, **extra))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.slow
def test_check_deploy_is_clean_with_the_production_configuration(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_still_catches_a_weak_setting(tmp_path):
    """The clean run above is not clean because checks are switched off."""
    env = production_env(tmp_path, VERITY_HSTS_SECONDS="0", VERITY_SSL_REDIRECT="0")
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode != 0
    assert "security.W004" in result.stderr  # HSTS
    assert "security.W008" in result.stderr  # SSL redirect


def test_production_defaults_are_the_strict_ones(tmp_path):
    values = production_settings(tmp_path)
    assert values["DEBUG"] is False
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is False
    # preload: the owner's call; otp_webauthn.E030: the origin is each page's own (README)
    assert values["SILENCED_SYSTEM_CHECKS"] == ["security.W021", "otp_webauthn.E030"]
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] is None  # no proxy declared: believe no header
    assert values["SESSION_COOKIE_SECURE"] is values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is values["CSRF_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"


def test_a_declared_proxy_is_believed_about_https(tmp_path):
    values = production_settings(tmp_path, VERITY_TRUSTED_PROXY_COUNT="1")
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    values = production_settings(
        tmp_path, VERITY_TRUSTED_PROXY_COUNT="1", VERITY_PROXY_SSL_HEADER="X-Scheme"
    )
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_SCHEME", "https"]
    values = production_settings(
        tmp_path, VERITY_TRUSTED_PROXY_COUNT="1", VERITY_PROXY_SSL_HEADER=""
    )
    assert values["SECURE_PROXY_SSL_HEADER"] is None


def test_preload_turned_on_is_sent_and_not_silenced(tmp_path):
    values = production_settings(tmp_path, VERITY_HSTS_PRELOAD="1")
    assert values["SECURE_HSTS_PRELOAD"] is True
    assert values["SILENCED_SYSTEM_CHECKS"] == ["otp_webauthn.E030"]


def test_development_keeps_plain_http(tmp_path):
    values = production_settings(tmp_path, VERITY_DEBUG="1")
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SESSION_COOKIE_SECURE"] is False
