"""App versions and their order, for enforcement by app version (issue 19).

Pure: strings in, plain values out. The order is semantic versioning's (semver.org §11)
with two allowances that real mobile and web apps need:

- one to four numeric components, missing ones counted as 0 (``5.2`` == ``5.2.0``,
  ``5.2.0.1`` > ``5.2.0``); each compared as a number (``5.10.0`` > ``5.9.1``), leading
  zeros ignored; an optional leading ``v`` (``v5.2.0``);
- a pre-release (``5.2.0-beta.2``) sorts before its release, its identifiers compared as
  semver says (numbers as numbers, below words; a longer list after its prefix), so a
  beta of the minimum version is below the minimum; build metadata (``+417``) is ignored.

Anything else (empty, ``latest``, ``5.2.x``, non-ASCII digits) does not parse: ``parse``
returns None and the gateway treats it as a version it cannot place (see gateway.py).
"""

import re
from functools import lru_cache

MAX_COMPONENTS = 4
MAX_VERSION_LENGTH = 64  # as the ping's app_version field
_IDENTIFIER = r"[0-9A-Za-z-]+"
_NUMBERS = rf"[0-9]+(?:\.[0-9]+){{0,{MAX_COMPONENTS - 1}}}"
_DOTTED = rf"{_IDENTIFIER}(?:\.{_IDENTIFIER})*"
_VERSION = re.compile(rf"[vV]?(?P<numbers>{_NUMBERS})(?:-(?P<pre>{_DOTTED}))?(?:\+{_DOTTED})?")
# A release, as an admin writes the minimum: numbers only.
_RELEASE = re.compile(_NUMBERS)


def _pre_key(pre):
    # Numeric identifiers sort below alphanumeric ones, and among themselves as numbers.
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in pre.split("."))


@lru_cache(maxsize=4096)
def parse(text):
    """A key that orders versions (tuple comparison), or None when ``text`` is not one."""
    if not isinstance(text, str) or len(text) > MAX_VERSION_LENGTH:
        return None
    match = _VERSION.fullmatch(text)
    if match is None:
        return None
    numbers = [int(part) for part in match["numbers"].split(".")]
    numbers += [0] * (MAX_COMPONENTS - len(numbers))
    pre = match["pre"]
    # A release (1, ()) sorts after every pre-release (0, ...) of the same numbers.
    return (tuple(numbers), (1, ()) if pre is None else (0, _pre_key(pre)))


def is_release(text):
    """Whether ``text`` is a plain release (``5.2.0``): what a minimum version may be."""
    return (
        isinstance(text, str) and len(text) <= MAX_VERSION_LENGTH and bool(_RELEASE.fullmatch(text))
    )


def compare(a, b):
    """-1, 0 or 1 as version ``a`` sorts before, with or after ``b``; both must parse."""
    ka, kb = parse(a), parse(b)
    if ka is None or kb is None:
        raise ValueError("not a version")
    return (ka > kb) - (ka < kb)


def is_below(version, minimum_key):
    """Whether ``version`` (as sent) parses and sorts before ``minimum_key`` (a ``parse``
    result). A version that does not parse is not below anything: it is not known to be
    old, so it gets the rule, not the exception."""
    key = parse(version) if version is not None else None
    return key is not None and key < minimum_key
