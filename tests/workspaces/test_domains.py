"""workspaces.domains: trusted-domain patterns, Origin hosts, and matching them."""

import pytest

from workspaces.domains import InvalidDomain, host_matches, normalize_pattern, origin_host


@pytest.mark.parametrize(
    ("entry", "stored"),
    [
        ("app.example.com", "app.example.com"),
        ("  APP.Example.COM  ", "app.example.com"),
        ("app.example.com.", "app.example.com"),
        ("*.example.com", "*.example.com"),
        ("*.EXAMPLE.com", "*.example.com"),
        ("localhost", "localhost"),
        ("a-b.example", "a-b.example"),
        ("127.0.0.1", "127.0.0.1"),
        ("Bücher.de", "xn--bcher-kva.de"),
        ("*.bücher.de", "*.xn--bcher-kva.de"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("пример.рф", "xn--e1afmkfd.xn--p1ai"),
        ("xn--fa-hia.de", "xn--fa-hia.de"),
    ],
)
def test_entries_are_normalised(entry, stored):
    assert normalize_pattern(entry) == stored


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ("https://app.example.com", "without https://"),
        ("http://app.example.com", "without https://"),
        ("//app.example.com", "without https://"),
        ("app.example.com/login", "path"),
        ("app.example.com:8443", "port"),
        ("app.example.com:", "port"),
        ("[::1]", "port"),
        ("*.com", "wildcard must cover a domain"),
        ("*", "Only a leading"),
        ("*example.com", "Only a leading"),
        ("app.*.example.com", "Only a leading"),
        ("**.example.com", "Only a leading"),
        ("example.*", "Only a leading"),
        ("*.*.example.com", "not a host name"),
        ("", "Enter a domain"),
        ("   ", "Enter a domain"),
        (".", "Enter a domain"),
        ("*.", "Enter a domain"),
        ("app..example.com", "international domain name"),
        ("-app.example.com", "not a host name"),
        ("app-.example.com", "not a host name"),
        ("app_1.example.com", "not a host name"),
        ("ann@example.com", "not a host name"),
        ("app example.com", "not a host name"),
        ("app.example.com\x00", "not a host name"),
        # A label's "$" once matched before a final newline: these were stored as typed.
        ("shop\n.example.com", "not a host name"),
        ("*.shop\n.example.com", "not a host name"),
        ("a" * 64 + ".com", "international domain name"),
        (".".join(["abcdefghi"] * 26), "at most 253"),
        ("faß.de", "xn-- form"),
        ("x\u200dy.de", "xn-- form"),
    ],
)
def test_bad_entries_are_refused_with_a_reason(entry, says):
    with pytest.raises(InvalidDomain) as caught:
        normalize_pattern(entry)
    assert says in str(caught.value)


@pytest.mark.parametrize("value", [None, 42, ["example.com"], b"example.com"])
def test_a_pattern_must_be_text(value):
    with pytest.raises(InvalidDomain, match="must be text"):
        normalize_pattern(value)


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("https://app.example.com", "app.example.com"),
        ("HTTPS://APP.EXAMPLE.COM", "app.example.com"),
        ("https://app.example.com:8443", "app.example.com"),
        ("http://app.example.com:80", "app.example.com"),
        ("https://192.0.2.1:8443", "192.0.2.1"),
        ("https://app.example.com.", "app.example.com"),
        ("https://xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("https://Bücher.de", "xn--bcher-kva.de"),
        (" https://app.example.com ", "app.example.com"),
    ],
)
def test_origin_hosts_are_normalised(origin, host):
    assert origin_host(origin) == host


@pytest.mark.parametrize(
    "origin",
    [
        None,
        "",
        "null",
        "app.example.com",
        "https://",
        "https://[::1]:8000",
        "https://[not-ipv6",
        "https://app_1.example.com",
        "https://a..b",
        "https://\x00.com",
        "https://\ud800.com",
        42,
    ],
)
def test_origins_without_a_usable_host_give_none(origin):
    assert origin_host(origin) is None


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.com\\@trusted.example",  # urlsplit: trusted.example; a browser: evil.com
        "https://evil.com\\.trusted.example",
        "https://trusted.example@evil.com",
        "https://user:pw@trusted.example",
        "https://trusted.example/",
        "https://trusted.example/path",
        "https://trusted.example?x=1",
        "https://trusted.example#top",
        "https://trusted.example:",
        "https://trusted.example:99999",
        "https://trusted.example:443:443",
        "https://trusted.example:ab",
        "https://trusted.example:\u0664\u0664\u0663",  # Arabic-Indic digits are not a port
        "https://trusted example",
        "https://trusted\t.example",
        "https:/trusted.example",
        "https:trusted.example",
        "ftp://trusted.example",
        "javascript://trusted.example",
        "//trusted.example",
        "https://evil.com\uff20trusted.example",  # a fullwidth @ that IDNA folds to @
        "https://" + "a" * 300 + ".example",
    ],
)
def test_only_a_strict_origin_has_a_host(origin):
    """scheme http/https, a host, an optional port and nothing else (issue 14)."""
    assert origin_host(origin) is None


@pytest.mark.parametrize(
    ("host", "patterns", "matches"),
    [
        ("app.example.com", ["app.example.com"], True),
        ("app.example.com", ["example.com"], False),
        ("example.com", ["app.example.com"], False),
        ("shop.example.com", ["*.example.com"], True),
        ("a.b.example.com", ["*.example.com"], True),
        ("example.com", ["*.example.com"], False),
        ("badexample.com", ["*.example.com"], False),
        ("example.com.evil.io", ["*.example.com", "example.com"], False),
        ("xn--bcher-kva.de", [normalize_pattern("Bücher.de")], True),
        ("shop.xn--bcher-kva.de", [normalize_pattern("*.bücher.de")], True),
        ("app.example.com", [], False),
        (None, ["*.example.com"], False),
    ],
)
def test_hosts_match_exact_names_and_subdomains_of_wildcards(host, patterns, matches):
    assert host_matches(host, patterns) is matches


def test_a_console_entry_matches_the_origin_a_browser_sends():
    assert host_matches(
        origin_host("https://SHOP.Bücher.de:443"), [normalize_pattern("*.BÜCHER.de")]
    )
