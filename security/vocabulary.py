"""The words every layer shares, each defined once: the platforms and their labels, how a
proof reference (``hmac:web:v2``, ``jwt:mk_1a2b3c4d``) is built and read, the outcomes of
a ping, and which rotation states are still open.

Pure: plain values, no Django. Models, forms, serializers, URL converters, the gateway
and the installation check all take these from here.
"""

from dataclasses import dataclass

# ---- platforms --------------------------------------------------------------------------

WEB, IOS, ANDROID = "web", "ios", "android"
PLATFORMS = (WEB, IOS, ANDROID)
PLATFORM_LABELS = {WEB: "Web", IOS: "iOS", ANDROID: "Android"}
PLATFORM_CHOICES = [(name, PLATFORM_LABELS[name]) for name in PLATFORMS]
# What a URL segment naming a platform must match (the `platform` converter).
PLATFORM_PATTERN = "|".join(PLATFORMS)


def platform_label(platform):
    """``iOS`` for ``ios``; the value itself if it is not a platform."""
    return PLATFORM_LABELS.get(platform, platform)


# ---- the outcome of a ping (SPEC §3) ------------------------------------------------------

VISITOR = "visitor"
VERIFIED = "verified"
UNVERIFIED = "unverified"
REJECTED = "rejected"
# A count's outcome, never an answer's: an unproven request of an enforced platform served
# (answered "unverified") only because its app version is below the platform's minimum,
# with the app_version_below_minimum warning (issue 19). Counted apart so readiness and the
# counts tell "served under the version policy" from "rejected" and from "not enforced".
BELOW_MINIMUM = "below_minimum"
IDENTIFIED_OUTCOMES = (VERIFIED, UNVERIFIED, REJECTED, BELOW_MINIMUM)
OUTCOMES = (VISITOR, *IDENTIFIED_OUTCOMES)

# ---- proof references ---------------------------------------------------------------------

HMAC, JWT = "hmac", "jwt"
PROOF_METHODS = (HMAC, JWT)


def hmac_reference(platform, version):
    """How counts, logs and readiness name a secret version: ``hmac:web:v2``."""
    return f"{HMAC}:{platform}:v{version}"


def jwt_reference(kid):
    """How they name a messenger key: ``jwt:<kid>``."""
    return f"{JWT}:{kid}"


@dataclass(frozen=True)
class ProofReference:
    method: str  # "hmac" or "jwt"
    platform: str | None = None  # hmac only
    version: int | None = None  # hmac only
    kid: str | None = None  # jwt only


def parse_reference(text):
    """The parts of a reference, or None when ``text`` is not one."""
    if not isinstance(text, str):
        return None
    method, _, rest = text.partition(":")
    if method == JWT and rest:
        return ProofReference(JWT, kid=rest)
    if method == HMAC:
        platform, _, version = rest.partition(":v")
        if platform in PLATFORMS and version.isdigit():
            return ProofReference(HMAC, platform=platform, version=int(version))
    return None


def method_of(reference):
    """``hmac`` or ``jwt`` for a reference, else None."""
    parsed = parse_reference(reference)
    return parsed.method if parsed else None


# ---- rotation requests ----------------------------------------------------------------------

REQUESTED, READY, ROTATED, SECRET_VIEWED = "requested", "ready", "rotated", "secret_viewed"
ACCEPTED, COMPLETED, CANCELLED = "accepted", "completed", "cancelled"
# Still open: at most one per platform, and the overview shows a banner for it.
OPEN_ROTATION_STATES = (REQUESTED, ACCEPTED, READY, ROTATED, SECRET_VIEWED)
# Rotated and not finished: in overlap mode both secrets verify.
ROTATED_STATES = (ROTATED, SECRET_VIEWED)
