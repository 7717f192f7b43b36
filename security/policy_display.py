"""How readiness and the installation page show a platform's version policy (issue 19):
one line saying what is enforced, and per app version whether it is enforced or warned.

The per-version answer is the gateway's own rule (``VersionPolicy.spares``), asked of the
version as the readiness counts wrote it, so the page cannot disagree with the gateway.
"""

from datetime import UTC, time

from django.utils import timezone

from .gateway import VersionPolicy

ENFORCED, WARNED = "enforced", "warned"


def _when(moment):
    """``2027-03-01`` at midnight UTC, else ``2027-03-01 14:30 UTC``."""
    moment = moment.astimezone(UTC)
    if moment.time() == time(0, 0):
        return f"{moment:%Y-%m-%d}"
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def version_policy_view(enforced, minimum, sunset_at, now):
    """None without a policy, else what the readiness line says: ``text``, and the policy
    (``minimum``, ``sunset_at``, ``sunset_passed``, ``enforced``) for the version rows."""
    if not minimum:
        return None
    passed = sunset_at is not None and now >= sunset_at
    if passed:
        text = (
            f"Enforced for every version: older versions than {minimum} were warned until "
            f"{_when(sunset_at)}, and that sunset has passed."
        )
    else:
        until = f"until {_when(sunset_at)}" if sunset_at else "with no sunset date"
        if enforced:
            text = f"Enforced from {minimum}; older versions warned {until}."
        else:
            text = (
                f"Not enforced yet; once enforced, versions from {minimum} on are enforced "
                f"and older ones warned {until}."
            )
    return {
        "minimum": minimum,
        "sunset_at": sunset_at,
        "sunset_passed": passed,
        "enforced": enforced,
        "text": text,
        # Warned versions are still being let through: say so in the badge's colour.
        "badge": "warn" if enforced and not passed else "off",
        "rule": VersionPolicy(minimum=minimum, sunset_at=sunset_at),
        "now": now,
    }


def version_status(policy, app_version):
    """``warned`` or ``enforced``: what the policy does now to an unproven request from
    ``app_version`` ("" when none was sent, which is enforced like an unparsable one)."""
    return WARNED if policy["rule"].spares(app_version or None, policy["now"]) else ENFORCED


def add_policy(card, row, key, now=None):
    """Put the version policy of ``row`` (PlatformSettings) into a readiness card: as
    ``card["policy"]`` (the line, shown even before any traffic) and into the readiness
    view at ``card[key]`` (security.display.readiness_view)."""
    policy = version_policy_view(
        row.enforced, row.enforce_from_version, row.sunset_at, now or timezone.now()
    )
    card["policy"] = policy
    if policy is not None and card[key]:
        card[key] = with_policy(card[key], policy)


def with_policy(view, policy):
    """A readiness view (security.display.readiness_view) with the policy's figures: each
    version row's ``policy`` status, and the requests served below the minimum apart from
    the rejected ones."""
    below = int(view.get("below_minimum") or 0)
    return {
        **view,
        "policy": policy,
        "below_minimum": below,
        # Served with app_version_below_minimum: not rejected, whatever was enforced.
        "rejected": max(view["rejected"] - below, 0),
        "versions": [
            {**row, "policy": version_status(policy, row.get("app_version"))}
            for row in view.get("versions") or []
        ],
    }
