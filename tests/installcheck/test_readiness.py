"""Readiness and installation status on crafted traffic (pure functions)."""

from datetime import UTC, datetime

from installcheck.readiness import method_of, summarize
from installcheck.status import Tally, status_of

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def row(installation, outcome, count, code="", proof="", app_version=""):
    return {
        "installation": installation,
        "outcome": outcome,
        "code": code,
        "proof": proof,
        "app_version": app_version,
        "count": count,
    }


def tally(*rows):
    t = Tally()
    for r in rows:
        t.add(r["outcome"], r["code"], r["count"])
    return t


def test_no_traffic_is_an_empty_summary():
    assert summarize([], NOW) == {}


def test_a_staged_rollout_shows_adoption_per_app_version():
    rows = [
        row("com.acme.app", "verified", 30, proof="hmac:ios:v1", app_version="5.2.0"),
        row("com.acme.app", "unverified", 8, code="missing_user_hash", app_version="5.1.0"),
        row("com.acme.app", "verified", 2, proof="jwt:mk_1", app_version="5.2.0"),
        row("com.acme.app", "visitor", 100, app_version="5.1.0"),
    ]
    used = {"hmac:ios:v1": NOW}
    summary = summarize(rows, NOW, used)
    assert summary["identified"] == 40
    assert summary["verified"] == 32
    assert summary["share"] == 0.8
    assert summary["window_days"] == 7
    assert summary["by_method"] == {"hmac": 30, "jwt": 2}
    assert summary["versions"] == [
        {"app_version": "5.2.0", "identified": 32, "verified": 32, "below_minimum": 0},
        {"app_version": "5.1.0", "identified": 8, "verified": 0, "below_minimum": 0},
    ]
    assert summary["below_minimum"] == 0
    assert summary["installations"] == [
        {
            "name": "com.acme.app",
            "identified": 40,
            "verified": 32,
            "failed": 8,
            "top_reason": "missing_user_hash",
        }
    ]
    assert summary["proofs"] == [
        {"reference": "hmac:ios:v1", "count": 30, "last_used": NOW.isoformat()},
        {"reference": "jwt:mk_1", "count": 2, "last_used": None},
    ]


def test_only_visitors_give_a_null_share():
    summary = summarize([row("a.example.com", "visitor", 5)], NOW)
    assert summary["identified"] == 0
    assert summary["share"] is None
    assert summary["installations"] == []


def test_installations_are_listed_most_failures_first_and_capped():
    rows = [row(f"h{n}.example.com", "rejected", n, code="invalid_user_hash") for n in range(30)]
    names = [i["name"] for i in summarize(rows, NOW)["installations"]]
    assert len(names) == 20
    assert names[0] == "h29.example.com"


def test_every_request_verified_is_a_verified_installation():
    assert status_of(tally(row("a", "verified", 3), row("a", "visitor", 2))) == ("verified", "")


def test_some_failures_make_a_warning_with_the_most_common_reason():
    t = tally(
        row("a", "verified", 10),
        row("a", "rejected", 2, code="invalid_user_hash"),
        row("a", "unverified", 5, code="missing_user_hash"),
    )
    assert status_of(t) == ("warning", "missing_user_hash")
    assert (t.identified, t.verified, t.missing, t.invalid) == (17, 10, 5, 2)


def test_untrusted_domain_rejections_are_a_warning_but_not_identified():
    t = tally(row("evil", "untrusted_domain", 4, code="untrusted_domain"))
    assert t.identified == 0
    assert status_of(t) == ("warning", "untrusted_domain")


def test_nothing_in_the_window_is_inactive():
    assert status_of(Tally()) == ("inactive", "")


def test_proof_methods_are_read_from_references():
    assert method_of("hmac:web:v2") == "hmac"
    assert method_of("jwt:mk_abc") == "jwt"
    assert method_of("") is None
    assert method_of("other:x") is None
