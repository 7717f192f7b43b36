"""Which platform changes need an explicit confirmation, and the figures to show with it.

Pure: takes the current flags and the readiness summary written by the installation
check (``{}`` = no traffic yet) and returns plain values. The console shows the result as
a confirmation step; the API answers 409 ``confirmation_required`` with the same figures.
"""

from datetime import UTC

from . import versions
from .vocabulary import IDENTIFIED_OUTCOMES, VERIFIED


def _failing_installations(readiness):
    rows = readiness.get("installations") or []
    return [
        {
            "name": row.get("name", "?"),
            "failed": row.get("failed", 0),
            "reason": row.get("top_reason"),
        }
        for row in rows
        if (row.get("failed") or 0) > 0
    ]


def enforcement_figures(readiness):
    """Identified requests of the window that carried no valid proof, and where from."""
    identified = int(readiness.get("identified") or 0)
    verified = int(readiness.get("verified") or 0)
    return {
        "window_days": readiness.get("window_days", 7),
        "identified": identified,
        "verified": verified,
        "would_be_rejected": max(identified - verified, 0),
        "installations": _failing_installations(readiness),
    }


def rotation_figures(traffic, *, old_reference, new_reference, since):
    """What a platform's identified requests proved since its secret was rotated.

    ``traffic``: (outcome, proof, count) rows (security.models.RotationTraffic); a failed
    request names the old secret when its hash was made with it. ``since``: the rotation's
    time. The new secret's requests are fine; the old secret's are rejected once it is
    retired (at once in gap mode, at the overlap's end otherwise)."""
    identified = verified = new = old_verified = old_failed = 0
    for outcome, proof, count in traffic:
        if outcome not in IDENTIFIED_OUTCOMES:
            continue
        identified += count
        if outcome == VERIFIED:
            verified += count
            new += count if proof == new_reference else 0
            old_verified += count if proof == old_reference else 0
        elif proof == old_reference:
            old_failed += count
    unproven = identified - verified
    return {
        "since": since.isoformat() if since else None,
        "identified": identified,
        "new_reference": new_reference,
        "old_reference": old_reference,
        "new_secret": new,
        "old_secret": old_verified + old_failed,
        "old_secret_verified": old_verified,
        "other_proof": verified - new - old_verified,
        "unproven": unproven - old_failed,
        # Rejected if the platform enforced now / once the old secret stops verifying.
        "would_be_rejected": unproven,
        "rejected_once_old_retired": unproven + old_verified,
    }


def _since_text(figures):
    since = figures.get("since")
    return f"the rotation at {since[:16].replace('T', ' ')} UTC" if since else "the rotation"


def rotation_enforcement_confirmation(platform_label, figures):
    """Turning enforcement back on after a rotation (gap mode): judged on the requests
    since the rotation, not on the 7 days when the old secret still verified."""
    since = _since_text(figures)
    if figures["identified"] == 0:
        message = (
            f"No identified {platform_label} request has reached the gateway since {since}: "
            "nothing shows yet that your servers sign with the new secret."
        )
    elif figures["would_be_rejected"] == 0:
        return None
    else:
        message = (
            f"Since {since}, {figures['identified']} identified {platform_label} requests: "
            f"{figures['new_secret']} carried the new secret, {figures['old_secret']} still "
            f"used the old one and {figures['unproven']} had no valid proof"
            + (f" ({figures['other_proof']} proved with a JWT)" if figures["other_proof"] else "")
            + f". Enforcing now would reject {figures['would_be_rejected']} of them: those "
            "signed with the old secret and those without proof."
        )
    return {"code": "unproven_since_rotation", "message": message, **figures}


def confirmation_needed(platform_label, flag, current, new, readiness, *, rotation=None):
    """None when the change is safe as it is, else a dict: code, message and figures.
    ``rotation``: rotation_figures of the platform's open, rotated rotation, if any."""
    if current == new:
        return None
    readiness = readiness or {}
    if flag == "enforced" and new and rotation is not None:
        return rotation_enforcement_confirmation(platform_label, rotation)
    if flag == "enforced" and new:
        figures = enforcement_figures(readiness)
        if figures["would_be_rejected"] == 0:
            return None
        names = ", ".join(row["name"] for row in figures["installations"]) or "unknown origins"
        return {
            "code": "unproven_traffic",
            "message": (
                f"{figures['would_be_rejected']} of {figures['identified']} identified "
                f"{platform_label} requests of the last {figures['window_days']} days had no "
                f"valid proof and would have been rejected (from: {names})."
            ),
            **figures,
        }
    if flag == "enforced" and not new:
        return {
            "code": "impersonation_risk",
            "message": (
                f"With enforcement off, anybody can claim to be any of your {platform_label} "
                "users by sending their user_id or email, and read their conversations."
            ),
        }
    if flag == "hmac_allowed" and not new:
        hmac_requests = int((readiness.get("by_method") or {}).get("hmac") or 0)
        if hmac_requests == 0:
            return None
        return {
            "code": "hmac_in_use",
            "message": (
                f"{hmac_requests} verified {platform_label} requests of the last "
                f"{readiness.get('window_days', 7)} days proved identity with a user_hash; "
                "they will fail once HMAC is not allowed. Move them to JWT first."
            ),
            "hmac_requests": hmac_requests,
        }
    return None


def version_policy_figures(minimum, sunset_at, readiness):
    """What a version policy would refuse of the window's identified requests that carried
    no valid proof, per app version (readiness ``versions``), on an enforced platform.

    ``minimum`` None: no policy, every version enforced. Versions that do not parse, and
    the unproven requests of versions beyond the readiness list's 20, count as enforced
    (as the gateway treats an unknown version, and to err on the side of warning).
    """
    key = versions.parse(minimum) if minimum else None
    rows, listed = [], 0
    for row in readiness.get("versions") or []:
        unproven = max(int(row.get("identified") or 0) - int(row.get("verified") or 0), 0)
        listed += unproven
        if unproven == 0:
            continue
        name = row.get("app_version") or ""
        spared = key is not None and versions.is_below(name or None, key)
        rows.append({"app_version": name, "unproven": unproven, "enforced": not spared})
    figures = enforcement_figures(readiness)
    unproven_total = figures["would_be_rejected"]
    others = max(unproven_total - listed, 0)
    would_be_rejected = others + sum(row["unproven"] for row in rows if row["enforced"])
    return {
        "window_days": figures["window_days"],
        "identified": figures["identified"],
        "enforce_from_version": minimum,
        "sunset_at": sunset_at.isoformat() if sunset_at else None,
        "would_be_rejected": would_be_rejected,
        # After the sunset every version is enforced; without one, the spared stay spared.
        "would_be_rejected_after_sunset": unproven_total if sunset_at else would_be_rejected,
        "versions": rows,
    }


def version_policy_confirmation(platform_label, enforced, current, new, readiness):
    """None when changing the policy from ``current`` to ``new`` ((minimum, sunset_at)
    pairs) refuses none of the window's unproven requests, else code, message, figures."""
    if current == new:
        return None
    minimum, sunset_at = new
    figures = version_policy_figures(minimum, sunset_at, readiness or {})
    if figures["would_be_rejected"] == 0 and figures["would_be_rejected_after_sunset"] == 0:
        return None
    enforced_versions = (
        f"versions {minimum} and later, and requests without a known version"
        if minimum
        else "every version"
    )
    message = (
        f"{figures['would_be_rejected']} of {figures['identified']} identified "
        f"{platform_label} requests of the last {figures['window_days']} days had no valid "
        f"proof from {enforced_versions}, and would be rejected"
    )
    message += "." if enforced else " once the platform enforces."
    if sunset_at:
        message += (
            f" From {sunset_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC older versions are "
            f"enforced too: {figures['would_be_rejected_after_sunset']} would be rejected."
        )
    elif minimum:
        message += (
            " Older versions are served without a sunset date: anybody can claim one of "
            "them to be served as any user, so set a date."
        )
    return {"code": "version_policy_rejects", "message": message, **figures}
