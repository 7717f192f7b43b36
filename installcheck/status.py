"""The status of one installation from its recent counts (pure: plain values in and out).

verified: every identified request of the window carried valid proof;
warning: some did not (with the most frequent reason);
inactive: nothing at all in the window.
"""

from collections import Counter
from dataclasses import dataclass, field

from security.gateway import MISSING_USER_HASH
from security.vocabulary import BELOW_MINIMUM, IDENTIFIED_OUTCOMES, VERIFIED, VISITOR

WINDOW_DAYS = 7


@dataclass
class Tally:
    """Counts of one installation (or one platform) over the window."""

    identified: int = 0
    verified: int = 0
    missing: int = 0
    invalid: int = 0
    # Of the failed: served with app_version_below_minimum under the version policy.
    below_minimum: int = 0
    visitors: int = 0
    other: int = 0
    reasons: Counter = field(default_factory=Counter)

    @property
    def failed(self):
        return self.identified - self.verified

    @property
    def total(self):
        return self.identified + self.visitors + self.other

    @property
    def top_reason(self):
        if not self.reasons:
            return ""
        # Most frequent first; ties broken by name so the answer is stable.
        return min(self.reasons.items(), key=lambda item: (-item[1], item[0]))[0]

    def add(self, outcome, code, count):
        if outcome == VERIFIED:
            self.identified += count
            self.verified += count
        elif outcome in IDENTIFIED_OUTCOMES:
            self.identified += count
            if outcome == BELOW_MINIMUM:
                self.below_minimum += count
            if code == MISSING_USER_HASH:
                self.missing += count
            else:
                self.invalid += count
            self.reasons[code or "unknown"] += count
        elif outcome == VISITOR:
            self.visitors += count
        else:
            # Rejected before identity was looked at (an untrusted domain).
            self.other += count
            if code:
                self.reasons[code] += count


def status_of(tally):
    """(status, top_reason) of an installation whose window counts are ``tally``."""
    if tally.total == 0:
        return "inactive", ""
    if tally.failed > 0 or tally.other > 0:
        return "warning", tally.top_reason
    return VERIFIED, ""
