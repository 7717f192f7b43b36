"""The JWKS fetcher against a real local HTTPS server: https only, no redirects, caps on
bytes and time, certificate verification, and the SSRF guard (on, as in production, and
lifted only by the explicit setting)."""

import ipaddress
import socket

import pytest

from security import jwks_fetch
from security.jwks_fetch import FetchFailed, check_url, fetch, refused_address
from tests.jwks_server import jwks_server_fixture  # noqa: F401 (fixture)

DOC = {"keys": []}


def get(server, path="/jwks.json", host="localhost", **overrides):
    options = {
        "timeout": 3,
        "max_bytes": 64 * 1024,
        "allow_private": True,
        "cafile": server.ca_bundle,
    }
    options.update(overrides)
    return fetch(server.url(path, host), **options)


def failure(server, **kwargs):
    with pytest.raises(FetchFailed) as caught:
        get(server, **kwargs)
    return caught.value


def test_a_jwks_is_fetched_over_verified_https(jwks_server):
    jwks_server.serve("/jwks.json", DOC)
    assert get(jwks_server) == b'{"keys": []}'
    assert jwks_server.hits["/jwks.json"] == 1


def test_a_server_the_ca_bundle_does_not_vouch_for_is_refused(jwks_server):
    jwks_server.serve("/jwks.json", DOC)
    refused = failure(jwks_server, cafile=None)  # the system's CAs: self-signed is unknown
    assert "certificate does not verify" in refused.reason


@pytest.mark.parametrize(
    "url, code",
    [
        ("http://auth.example.com/jwks.json", "jwks_url_not_https"),
        ("HTTP://auth.example.com/jwks.json", "jwks_url_not_https"),
        ("ftp://auth.example.com/jwks.json", "jwks_url_not_https"),
        ("auth.example.com/jwks.json", "jwks_url_not_https"),
        ("https://user:pw@auth.example.com/jwks.json", "invalid_jwks_url"),
        ("https:///jwks.json", "invalid_jwks_url"),
        ("https://auth.example.com:99999/", "invalid_jwks_url"),
        ("https://auth.example.com/a b", "invalid_jwks_url"),
        ("https://auth.example.com/" + "a" * 2100, "invalid_jwks_url"),
        ("", "invalid_jwks_url"),
    ],
)
def test_only_well_formed_https_urls_are_accepted(url, code):
    with pytest.raises(FetchFailed) as caught:
        check_url(url)
    assert caught.value.code == code


def test_plain_http_is_never_fetched_even_with_private_addresses_allowed(jwks_server):
    with pytest.raises(FetchFailed) as caught:
        fetch(
            f"http://localhost:{jwks_server.port}/jwks.json",
            timeout=2,
            max_bytes=1000,
            allow_private=True,
        )
    assert caught.value.code == "jwks_url_not_https"
    assert jwks_server.hits == {}


def test_a_redirect_is_not_followed(jwks_server):
    jwks_server.serve("/old", status=302, headers={"Location": "/jwks.json"})
    jwks_server.serve("/jwks.json", DOC)
    refused = failure(jwks_server, path="/old")
    assert "302" in refused.reason and "redirect" in refused.reason
    assert "/jwks.json" not in jwks_server.hits


def test_an_error_status_fails(jwks_server):
    jwks_server.serve("/jwks.json", b"down", status=503)
    assert "503" in failure(jwks_server).reason


def test_a_declared_body_over_the_cap_is_refused_before_reading(jwks_server):
    jwks_server.serve("/jwks.json", b"x" * 5000)
    assert "larger than 4096 bytes" in failure(jwks_server, max_bytes=4096).reason


def test_an_undeclared_body_over_the_cap_is_cut_off(jwks_server):
    # No Content-Length: the fetcher counts what arrives and stops past the cap.
    jwks_server.serve("/jwks.json", b"x" * 3000, headers={"Connection": "close"}, drip=0.0001)
    assert "larger than 1024 bytes" in failure(jwks_server, max_bytes=1024).reason


def test_a_server_that_answers_too_late_times_out(jwks_server):
    jwks_server.serve("/jwks.json", DOC, delay=2)
    assert "in time" in failure(jwks_server, timeout=0.5).reason


def test_a_body_dripped_slower_than_the_deadline_times_out(jwks_server):
    # Each byte arrives well within a socket timeout; the whole body does not: the
    # deadline is for the exchange, not per read.
    jwks_server.serve("/jwks.json", b'{"keys": []}' * 20, drip=0.05)
    assert "in time" in failure(jwks_server, timeout=1).reason


def test_a_compressed_answer_is_refused(jwks_server):
    jwks_server.serve("/jwks.json", b"\x1f\x8b", headers={"Content-Encoding": "gzip"})
    assert "compressed" in failure(jwks_server).reason


# --- the SSRF guard -----------------------------------------------------------------------


def test_the_guard_refuses_the_loopback_server_when_private_addresses_are_not_allowed(
    jwks_server,
):
    jwks_server.serve("/jwks.json", DOC)
    refused = failure(jwks_server, allow_private=False)
    assert refused.code == "jwks_address_refused"
    assert "public addresses only" in refused.reason
    assert jwks_server.hits == {}  # refused before any connection
    refused = failure(jwks_server, host="127.0.0.1", allow_private=False)
    assert refused.code == "jwks_address_refused"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # shared address space (carrier-grade NAT)
        "0.0.0.0",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",  # documentation
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2001:db8::1",  # documentation
    ],
)
def test_non_public_addresses_are_refused(address):
    assert refused_address(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_are_allowed(address):
    assert refused_address(ipaddress.ip_address(address)) is None


def fake_dns(monkeypatch, answers):
    """getaddrinfo answers from ``answers`` (a list per call); returns the call log."""
    calls = []

    def getaddrinfo(host, port, *args, **kwargs):
        calls.append(host)
        batch = answers[min(len(calls), len(answers)) - 1]
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in batch
        ]

    monkeypatch.setattr(jwks_fetch.socket, "getaddrinfo", getaddrinfo)
    return calls


def test_a_host_with_any_private_address_is_refused(monkeypatch):
    calls = fake_dns(monkeypatch, [["93.184.216.34", "10.1.2.3"]])
    with pytest.raises(FetchFailed) as caught:
        fetch("https://jwks.example.com/jwks.json", timeout=1, max_bytes=1000)
    assert caught.value.code == "jwks_address_refused"
    assert "10.1.2.3" in caught.value.reason
    assert calls == ["jwks.example.com"]


def test_an_ipv4_mapped_answer_is_refused(monkeypatch):
    fake_dns(monkeypatch, [["::ffff:169.254.169.254"]])
    with pytest.raises(FetchFailed) as caught:
        fetch("https://jwks.example.com/jwks.json", timeout=1, max_bytes=1000)
    assert caught.value.code == "jwks_address_refused"


def test_the_fetch_connects_to_the_address_it_checked_not_to_a_second_answer(
    monkeypatch, jwks_server
):
    """DNS rebinding: the host is resolved once; a second lookup (which here would say
    10.255.255.1, an address nothing answers on) is never made, and TLS still checks the
    certificate against the host name."""
    jwks_server.serve("/jwks.json", DOC)
    calls = fake_dns(monkeypatch, [["127.0.0.1"], ["10.255.255.1"]])
    body = get(jwks_server, host="jwks.test")
    assert body == b'{"keys": []}'
    assert calls == ["jwks.test"]


def test_a_failed_address_falls_back_to_the_next_checked_one(monkeypatch, jwks_server):
    jwks_server.serve("/jwks.json", DOC)
    fake_dns(monkeypatch, [["127.0.0.2", "127.0.0.1"]])  # nothing listens on .2
    assert get(jwks_server, host="jwks.test") == b'{"keys": []}'
