"""Which platform changes need an explicit confirmation, and the figures to show with it.

Pure: takes the current flags and the readiness summary written by the installation
check (``{}`` = no traffic yet) and returns plain values. The console shows the result as
a confirmation step; the API answers 409 ``confirmation_required`` with the same figures.
"""


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


def confirmation_needed(platform_label, flag, current, new, readiness):
    """None when the change is safe as it is, else a dict: code, message and figures."""
    if current == new:
        return None
    readiness = readiness or {}
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
