"""EMAIL_URL and VERITY_EMAIL_FROM become Django's EMAIL_* settings, or stop the start."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_email_address, env_email_url
from tests.config.test_settings import ROOT, start

SMTP = "django.core.mail.backends.smtp.EmailBackend"


def email_settings(monkeypatch, value):
    monkeypatch.setenv("EMAIL_URL", value)
    return env_email_url("EMAIL_URL", None, base_dir="/srv/verity")


def test_smtp_with_starttls_credentials_and_a_port(monkeypatch):
    got = email_settings(monkeypatch, "smtp://bot%40acme:p%2Fss@mail.acme.test:587?tls=1")
    assert got == {
        "EMAIL_BACKEND": SMTP,
        "EMAIL_HOST": "mail.acme.test",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "bot@acme",
        "EMAIL_HOST_PASSWORD": "p/ss",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 10.0,
    }


def test_smtps_is_implicit_tls_on_port_465(monkeypatch):
    got = email_settings(monkeypatch, "smtps://u:p@mail.acme.test?timeout=5")
    assert (got["EMAIL_PORT"], got["EMAIL_USE_SSL"], got["EMAIL_USE_TLS"]) == (465, True, False)
    assert got["EMAIL_TIMEOUT"] == 5.0


def test_plain_smtp_defaults_to_port_25_without_credentials(monkeypatch):
    got = email_settings(monkeypatch, "smtp://localhost")
    assert (got["EMAIL_PORT"], got["EMAIL_HOST_USER"], got["EMAIL_HOST_PASSWORD"]) == (25, "", "")


def test_console_and_file_backends(monkeypatch):
    assert email_settings(monkeypatch, "console://") == {
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"
    }
    assert email_settings(monkeypatch, "file:var/mail")["EMAIL_FILE_PATH"] == "/srv/verity/var/mail"
    assert email_settings(monkeypatch, "file:///tmp/mail")["EMAIL_FILE_PATH"] == "/tmp/mail"


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("smtp://mail.acme.test:99999", "valid port"),
        ("smtp://mail.acme.test:none", "valid port"),
        ("mailto:me@acme.test", "scheme must be one of"),
        ("imap://mail.acme.test", "scheme must be one of"),
        ("smtp://mail.acme.test?tls=1&ssl=1", "exclude each other"),
        ("smtps://mail.acme.test?tls=1", "exclude each other"),
        ("smtp://mail.acme.test?tls=maybe", "tls must be 1 or 0"),
        ("smtp://mail.acme.test?starttls=1", "options are"),
        ("smtp://mail.acme.test?tls=1&tls=0", "options are"),
        ("smtp://mail.acme.test?timeout=0", "timeout must be between"),
        ("smtp://mail.acme.test?timeout=soon", "timeout must be a number"),
        ("smtp://:secret@/", "needs a host"),
        ("smtp://mail.acme.test/inbox", "needs a host and no path"),
        ("console://host", "takes no host"),
        ("file://", "needs a directory"),
        ("", "scheme must be one of"),
    ],
)
def test_bad_email_urls_are_refused(monkeypatch, value, why):
    with pytest.raises(ImproperlyConfigured, match=why):
        email_settings(monkeypatch, value)


def test_a_refusal_never_echoes_the_password(monkeypatch):
    with pytest.raises(ImproperlyConfigured) as refused:
        email_settings(monkeypatch, "smtp://u:hunter2@mail.acme.test:70000")
    assert "hunter2" not in str(refused.value)


@pytest.mark.parametrize("value", ["Verity <verity@acme.test>", "verity@acme.test"])
def test_a_sender_is_an_address_with_an_optional_name(monkeypatch, value):
    monkeypatch.setenv("VERITY_EMAIL_FROM", value)
    assert env_email_address("VERITY_EMAIL_FROM", None) == value


@pytest.mark.parametrize("value", ["Verity", "verity@", "a@b.test\nBcc: x@y.test"])
def test_a_bad_sender_is_refused(monkeypatch, value):
    monkeypatch.setenv("VERITY_EMAIL_FROM", value)
    with pytest.raises(ImproperlyConfigured, match="VERITY_EMAIL_FROM"):
        env_email_address("VERITY_EMAIL_FROM", None)


def test_a_bad_email_url_stops_the_start_without_echoing_it(tmp_path):
    result = start(tmp_path, VERITY_DEBUG="1", EMAIL_URL="smtp://u:hunter2@mail:1?tls=x")
    assert result.returncode != 0
    assert "EMAIL_URL: tls must be 1 or 0" in result.stderr
    assert "hunter2" not in result.stderr


def test_an_empty_email_url_is_refused_not_taken_for_the_default(tmp_path):
    result = start(tmp_path, VERITY_DEBUG="1", EMAIL_URL="")
    assert result.returncode != 0
    assert "EMAIL_URL: the scheme must be one of" in result.stderr


def test_development_writes_mail_as_files_under_var(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VERITY_", "EMAIL_URL"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", VERITY_DEBUG="1")
    env["VERITY_VAR_DIR"] = str(tmp_path)
    code = "import django; django.setup(); from django.conf import settings as s; "
    code += "print(s.EMAIL_BACKEND, s.EMAIL_FILE_PATH)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == [
        "django.core.mail.backends.filebased.EmailBackend",
        str(tmp_path / "mail"),
    ]
