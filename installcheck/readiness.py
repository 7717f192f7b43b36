"""Readiness of a platform for enforcement (pure: plain values in, a JSON-able dict out).

The summary is stored in ``PlatformSettings.readiness`` (security.actions.record_readiness)
and read by the security overview, the enforce confirmation and the API. Its keys are a
contract; ``{}`` means the platform has had no traffic yet:

    computed_at   ISO 8601 time of the computation
    window_days   7
    identified    identified requests in the window
    verified      of which carried valid proof
    share         verified / identified, or null when nothing was identified
    below_minimum of the identified without valid proof, those an enforced platform served
                  with app_version_below_minimum under its version policy (not rejected)
    by_method     {"hmac": n, "jwt": n}: verified requests per proof method
    installations [{name, identified, verified, failed, top_reason}], most failures first (20)
    versions      [{app_version, identified, verified, below_minimum}], most identified
                  first (20)
    proofs        [{reference, count, last_used}]: per secret version / JWT key
"""

from collections import defaultdict

from security.vocabulary import HMAC, JWT, VERIFIED, method_of

from .status import WINDOW_DAYS, Tally

LIST_LIMIT = 20


def _share(verified, identified):
    return round(verified / identified, 4) if identified else None


def summarize(rows, now, last_used=None):
    """The readiness summary of one platform.

    ``rows``: dicts with installation, outcome, code, proof, app_version and count, the
    platform's counts over the window. ``last_used``: {proof reference: datetime}.
    """
    last_used = last_used or {}
    overall = Tally()
    by_installation = defaultdict(Tally)
    by_version = defaultdict(Tally)
    by_method = {HMAC: 0, JWT: 0}
    proofs = defaultdict(int)
    any_rows = False
    for row in rows:
        any_rows = True
        count = row["count"]
        overall.add(row["outcome"], row["code"], count)
        by_installation[row["installation"]].add(row["outcome"], row["code"], count)
        by_version[row["app_version"]].add(row["outcome"], row["code"], count)
        if row["outcome"] == VERIFIED and row["proof"]:
            method = method_of(row["proof"])
            if method:
                by_method[method] += count
            proofs[row["proof"]] += count
    if not any_rows:
        return {}

    installations = sorted(
        (
            {
                "name": name,
                "identified": t.identified,
                "verified": t.verified,
                "failed": t.failed,
                "top_reason": t.top_reason,
            }
            for name, t in by_installation.items()
            if t.identified
        ),
        key=lambda item: (-item["failed"], -item["identified"], item["name"]),
    )[:LIST_LIMIT]
    versions = sorted(
        (
            {
                "app_version": version,
                "identified": t.identified,
                "verified": t.verified,
                "below_minimum": t.below_minimum,
            }
            for version, t in by_version.items()
            if t.identified
        ),
        key=lambda item: (-item["identified"], item["app_version"]),
    )[:LIST_LIMIT]
    references = sorted(set(proofs) | set(last_used))
    return {
        "computed_at": now.isoformat(),
        "window_days": WINDOW_DAYS,
        "identified": overall.identified,
        "verified": overall.verified,
        "share": _share(overall.verified, overall.identified),
        "below_minimum": overall.below_minimum,
        "by_method": by_method,
        "installations": installations,
        "versions": versions,
        "proofs": [
            {
                "reference": reference,
                "count": proofs.get(reference, 0),
                "last_used": last_used[reference].isoformat() if last_used.get(reference) else None,
            }
            for reference in references
        ],
    }
