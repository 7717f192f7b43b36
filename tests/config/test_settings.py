"""config/settings.py refuses to start on missing or bad configuration."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start(tmp_path, **env):
    """Load the real settings in a fresh interpreter, as a server would at start-up."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("VERITY_", "SECRET_KEY"))}
    base.update({"DJANGO_SETTINGS_MODULE": "config.settings", "VERITY_VAR_DIR": str(tmp_path)})
    base.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_start_without_keys_stops_with_a_clear_message(tmp_path):
    result = start(tmp_path, VERITY_DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY and VERITY_ENCRYPTION_KEYS must be set" in result.stderr
    assert not (tmp_path / "dev-keys.json").exists()


def test_production_start_without_the_encryption_key_names_it(tmp_path):
    result = start(tmp_path, VERITY_DEBUG="0", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "VERITY_ENCRYPTION_KEYS must be set" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("VERITY_DEBUG", "maybe", "VERITY_DEBUG must be a boolean"),
        ("VERITY_MAX_INSTALLATIONS", "lots", "VERITY_MAX_INSTALLATIONS must be an integer"),
        ("VERITY_CONFIG_POLL_SECONDS", "-1", "must be at least 0"),
        ("VERITY_HSTS_SECONDS", "a year", "VERITY_HSTS_SECONDS must be an integer"),
        ("VERITY_SSL_REDIRECT", "sometimes", "VERITY_SSL_REDIRECT must be a boolean"),
        ("VERITY_PROXY_SSL_HEADER", "X Forwarded: https", "VERITY_PROXY_SSL_HEADER must be"),
    ],
)
def test_bad_values_are_refused_at_start(tmp_path, name, value, message):
    result = start(tmp_path, **{"VERITY_DEBUG": "1", name: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_development_start_generates_keys_once_and_keeps_them(tmp_path):
    assert start(tmp_path, VERITY_DEBUG="1").returncode == 0
    keys = (tmp_path / "dev-keys.json").read_text()
    assert start(tmp_path, VERITY_DEBUG="1").returncode == 0
    assert (tmp_path / "dev-keys.json").read_text() == keys


FERNET_KEY = "JyEeXZbA0zUgkH1w6VGbJxqz6m6JrR0E5jY6VbN0H1M="


@pytest.mark.parametrize("keys", [" ", " , ", ",,"])
def test_blank_encryption_keys_count_as_missing(tmp_path, keys):
    result = start(tmp_path, VERITY_DEBUG="0", SECRET_KEY="x" * 50, VERITY_ENCRYPTION_KEYS=keys)
    assert result.returncode != 0
    assert "VERITY_ENCRYPTION_KEYS must be set" in result.stderr


def test_a_blank_secret_key_counts_as_missing(tmp_path):
    result = start(tmp_path, VERITY_DEBUG="0", SECRET_KEY="   ", VERITY_ENCRYPTION_KEYS=FERNET_KEY)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("debug", ["0", "1"])
def test_a_malformed_master_key_stops_the_start_without_echoing_it(tmp_path, debug):
    result = start(
        tmp_path,
        VERITY_DEBUG=debug,
        SECRET_KEY="x" * 50,
        VERITY_ENCRYPTION_KEYS=f"{FERNET_KEY},not-a-fernet-key",
    )
    assert result.returncode != 0
    assert "VERITY_ENCRYPTION_KEYS: key 2 of 2 is not a Fernet key" in result.stderr
    assert "not-a-fernet-key" not in result.stderr
