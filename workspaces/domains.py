"""Host names: normalising Origins and trusted-domain patterns, and matching them.

Pure functions. Both sides go through ``normalize_host`` so that ``Bücher.DE`` typed in
the console matches an ``Origin: https://xn--bcher-kva.de`` sent by a browser.
"""

import re
from datetime import datetime, timedelta

MAX_HOST_LENGTH = 253
# What a trusted-domain entry may be as typed (before normalising): "*." and a host.
MAX_PATTERN_LENGTH = 300
# The longest URL origin: "https://" + a 253-character host + ":65535" is 267 characters.
# A longer Origin header is not an origin, and is refused before anything remembers it.
MAX_ORIGIN_LENGTH = 300
# Used with fullmatch: "$" would also match before a final newline ("shop\n.example.com").
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
# scheme://host[:port]. The host excludes every character that ends or splits a URL
# authority (and controls, spaces); normalize_host then checks it is a host name.
_ORIGIN = re.compile(r"(?i:https?)://([^\x00-\x20\x7f:/?#@\[\]\\]+)(?::([0-9]{1,5}))?")
_IDNA_DEVIATIONS = ("\u00df", "\u03c2", "\u200c", "\u200d")

# What str.strip() removes (every character for which str.isspace() is true).
_SPACE = r"[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
# Of ASCII, a host keeps only letters, digits, "-" and "." (IDNA carries ASCII through
# unchanged); anything beyond ASCII may map to a valid label, so it is not excluded here.
_HOST_CHARACTER = r"[^\x00-\x2c\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]"
# The syntax of a trusted-domain entry as typed, for the API schema: every value that
# normalize_pattern accepts matches it (tests/workspaces/test_api_schema.py), and it
# refuses what can never be a host: a scheme, path, port, user info, inner spaces, a "*"
# other than one leading "*.". The rest (labels of 1-63 characters without a hyphen at
# either end, 253 characters once IDNA-encoded, a valid IDNA name) is in PATTERN_RULES.
PATTERN_SYNTAX = rf"^{_SPACE}*(?:\*\.{_SPACE}*)?{_HOST_CHARACTER}+{_SPACE}*$"
PATTERN_RULES = (
    "A host name (`shop.example.com`), or `*.` and a domain for its subdomains "
    "(`*.example.com`, not `*.com`). Letters, digits, hyphens and dots; Unicode names are "
    "IDNA-encoded (`bücher.de` is kept as `xn--bcher-kva.de`, and ß, ς or a zero-width "
    "joiner must be typed in that xn-- form). Each label has 1 to 63 characters and "
    "neither starts nor ends with a hyphen; the encoded name has at most 253. Surrounding "
    "whitespace and a trailing dot are ignored and the name is kept in lower case. No "
    "scheme, path, port or user info. Anything else is refused with 400 invalid_domain."
)


class InvalidDomain(ValueError):
    """A value that is not a host name or *.host pattern."""


def normalize_host(value):
    """Lower-case, IDNA-encode and validate a bare host name; raise InvalidDomain."""
    if not isinstance(value, str):
        raise InvalidDomain("A domain must be text.")
    host = value.strip().rstrip(".").lower()
    if not host:
        raise InvalidDomain("Enter a domain such as app.example.com.")
    if any(char in host for char in _IDNA_DEVIATIONS):
        # Python's codec is IDNA 2003 (faß -> fass); browsers use UTS 46 (faß -> xn--fa-hia).
        # Refuse rather than store a name that would never match the browser's Origin.
        raise InvalidDomain(
            f"{value!r} contains ß, ς or a zero-width joiner: enter the xn-- form "
            "your browser shows in the address bar."
        )
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidDomain(f"{value!r} is not a valid international domain name.") from None
    if len(ascii_host) > MAX_HOST_LENGTH:
        raise InvalidDomain("A domain name has at most 253 characters.")
    labels = ascii_host.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidDomain(
            f"{value!r} is not a host name: use letters, digits, hyphens and dots only."
        )
    return ascii_host


def normalize_pattern(value):
    """Normalise a trusted-domain entry: ``example.com`` or ``*.example.com``.

    Schemes, paths, ports and other wildcards are refused with a message that says so.
    """
    if not isinstance(value, str):
        raise InvalidDomain("A domain must be text.")
    raw = value.strip()
    if "://" in raw or "/" in raw:
        raise InvalidDomain("Enter only the host name, without https:// or a path.")
    if ":" in raw:
        raise InvalidDomain("Enter the host name without a port.")
    if raw.startswith("*."):
        suffix = normalize_host(raw[2:])
        if "." not in suffix:
            raise InvalidDomain("A wildcard must cover a domain, e.g. *.example.com.")
        return "*." + suffix
    if "*" in raw:
        raise InvalidDomain("Only a leading '*.' wildcard is allowed, e.g. *.example.com.")
    return normalize_host(raw)


def origin_host(origin):
    """The normalised host of an ``Origin`` header value, or None if it is not a strict
    origin: ``http`` or ``https``, ``://``, a host name, an optional port, and nothing
    else (no user info, path, query or fragment, no backslash), as browsers send it. A
    general URL parser is not used: ``https://evil.com\\@trusted.example`` has the host
    trusted.example for urlsplit, and evil.com for a browser."""
    if not origin or not isinstance(origin, str) or len(origin) > MAX_ORIGIN_LENGTH:
        return None
    match = _ORIGIN.fullmatch(origin.strip())
    if match is None:
        return None
    host, port = match.groups()
    if port is not None and int(port) > 65535:
        return None
    try:
        return normalize_host(host)
    except InvalidDomain:
        return None


def host_matches(host, patterns):
    """Whether a normalised host is covered by one of the normalised patterns."""
    if host is None:
        return False
    for pattern in patterns:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]):
                return True
        elif host == pattern:
            return True
    return False


def unicode_host(host):
    """The Unicode form of a normalised host or pattern (``bücher.de`` for
    ``xn--bcher-kva.de``), for display beside the ASCII form (which alone is compared); the
    value itself when it has no other form or cannot be decoded."""
    if not isinstance(host, str):
        return host
    prefix = "*." if host.startswith("*.") else ""
    try:
        return prefix + host[len(prefix) :].encode("ascii").decode("idna")
    except (UnicodeError, ValueError):
        return host


# How far back the first-domain confirmation looks (the installation table's window).
SEEN_WINDOW = timedelta(days=7)


def origins_refused_by_first(pattern, seen, now):
    """The origins of ``seen`` (a ``Workspace.web_origins_seen``) active within SEEN_WINDOW
    of ``now`` that a first trusted domain ``pattern`` would refuse, busiest first."""
    refused = []
    for row in (seen or {}).get("origins") or []:
        try:
            last_seen = datetime.fromisoformat(row["last_seen"])
        except (KeyError, TypeError, ValueError):
            continue
        if now - last_seen > SEEN_WINDOW or host_matches(row.get("name"), (pattern,)):
            continue
        refused.append(
            {
                "name": row.get("name"),
                "last_seen": row["last_seen"],
                "requests": row.get("requests", 0),
            }
        )
    return sorted(refused, key=lambda row: (-(row["requests"] or 0), row["name"] or ""))
