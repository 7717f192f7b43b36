"""bin/run.py, the `make run` supervisor: the banner comes last and Celery stays quiet."""

import importlib.util
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bin" / "run.py"


@pytest.fixture(scope="module")
def run():
    spec = importlib.util.spec_from_file_location("verity_run", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_celery_logs_only_warnings_without_its_banner(run):
    commands = run.commands("127.0.0.1", "8000")
    for name in ("worker", "beat"):
        command = commands[name]
        assert "--quiet" in command
        assert command[command.index("--loglevel") + 1] == "WARNING"


def test_the_banner_names_the_urls_and_every_demo_login(run):
    text = run.banner("127.0.0.1", "8123", {"admin": "pw-a", "support": "pw-s"})
    assert "http://127.0.0.1:8123/" in text
    assert "admin" in text and "pw-a" in text and "support" in text and "pw-s" in text


def test_a_wildcard_host_is_opened_on_the_loopback(run):
    assert run.local_url("0.0.0.0", 9000) == "http://127.0.0.1:9000/"
    assert "every interface" in run.banner("0.0.0.0", 9000, {})


def test_no_logins_file_means_no_logins(run, tmp_path):
    assert run.demo_logins(tmp_path / "missing.json") == {}


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def http_url():
    server = HTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


def test_ready_waits_for_the_start_up_output_to_end(run, http_url):
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; print('starting', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        output = run.Output()
        output.follow("worker", child.stdout)
        assert run.wait_until_ready(http_url, {"worker": child}, output, timeout=10)
        assert output.quiet_for() >= run.SETTLE_SECONDS
    finally:
        child.kill()
        child.wait()


def test_ready_is_false_when_a_process_exits(run, http_url):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not run.wait_until_ready(http_url, {"worker": child}, run.Output(), timeout=5)


def test_harmless_start_up_noise_is_dropped_and_the_rest_passed_on(run, capsys):
    output = run.Output()
    output._copy("worker", iter(["WARNING No hostname was supplied.\n", "ERROR real trouble\n"]))
    printed = capsys.readouterr().out
    assert "No hostname" not in printed and "real trouble" in printed


def test_the_banner_says_where_mail_goes(run, monkeypatch, tmp_path):
    monkeypatch.delenv("EMAIL_URL", raising=False)
    monkeypatch.setenv("VERITY_VAR_DIR", str(tmp_path))
    assert f"mail       written as files to {tmp_path / 'mail'}/" in run.banner("127.0.0.1", 1, {})
    monkeypatch.setenv("EMAIL_URL", "console://")
    assert "printed by the web server" in run.banner("127.0.0.1", 1, {})
    monkeypatch.setenv("EMAIL_URL", "smtp://me:hunter2@mail.example.com:587?tls=1")
    text = run.banner("127.0.0.1", 1, {})
    assert "SMTP server mail.example.com" in text
    assert "hunter2" not in text
