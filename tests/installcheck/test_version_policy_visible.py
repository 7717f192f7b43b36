"""Enforcement by app version, seen everywhere else (issue 19): the counts tell a request
served under the version policy from a rejected one, readiness says the policy in one
line, and its app-version table says which versions are enforced and which warned."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from installcheck import fold as folding
from installcheck.counting import buffer
from installcheck.readiness import summarize
from installcheck.status import Tally, status_of
from security.actions.platforms import set_enforcement, set_version_policy
from security.display import readiness_view
from security.models import PlatformSettings
from security.policy_display import version_policy_view, with_policy
from security.vocabulary import BELOW_MINIMUM
from tests.installcheck.traffic import send, send_verified

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
SUNSET = datetime(2027, 3, 1, tzinfo=UTC)


def _ios(workspace, **fields):
    return send(workspace, "ios", app_bundle="com.acme.app", **fields)


def _midnight_in(days):
    today = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=days)


@pytest.fixture
def policy(workspace):
    """iOS enforced from 5.2.0 on, older versions warned until a midnight 90 days away."""
    sunset = _midnight_in(90)
    set_enforcement(workspace, "ios", True, actor=None)
    set_version_policy(workspace, "ios", "5.2.0", sunset, actor=None)
    return sunset


# --- the counts ---------------------------------------------------------------------------


def test_each_kind_of_unproven_request_is_counted_as_what_happened(workspace, policy):
    buffer.flush_discard()
    assert _ios(workspace, user_id="42", app_version="5.1.0").status_code == 200
    assert _ios(workspace, user_id="42", app_version="5.2.0").status_code == 403
    set_version_policy(workspace, "android", "5.2.0", actor=None)  # android: not enforced
    assert send(workspace, "android", user_id="42", app_version="5.1.0").status_code == 200
    outcomes = {(k.platform, k.app_version): k.outcome for k in buffer._counts}
    buffer.flush_discard()
    assert outcomes == {
        ("ios", "5.1.0"): BELOW_MINIMUM,
        ("ios", "5.2.0"): "rejected",
        ("android", "5.1.0"): "unverified",
    }


def test_a_request_served_below_the_minimum_is_identified_and_failed_apart():
    tally = Tally()
    tally.add("verified", "", 5)
    tally.add(BELOW_MINIMUM, "missing_user_hash", 2)
    tally.add("rejected", "invalid_user_hash", 1)
    assert (tally.identified, tally.verified, tally.failed, tally.below_minimum) == (8, 5, 3, 2)
    assert (tally.missing, tally.invalid) == (2, 1)
    assert status_of(tally) == ("warning", "missing_user_hash")


def test_readiness_counts_the_warned_in_total_and_per_version():
    row = {"installation": "com.acme.app", "proof": "", "code": "missing_user_hash"}
    summary = summarize(
        [
            {**row, "outcome": BELOW_MINIMUM, "app_version": "5.1.0", "count": 4},
            {**row, "outcome": "rejected", "app_version": "5.2.0", "count": 1},
        ],
        NOW,
    )
    assert (summary["identified"], summary["verified"], summary["below_minimum"]) == (5, 0, 4)
    versions = {v["app_version"]: v for v in summary["versions"]}
    assert versions["5.1.0"]["below_minimum"] == 4 and versions["5.2.0"]["below_minimum"] == 0


# --- what readiness says --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("enforced", "sunset", "now", "text"),
    [
        (True, SUNSET, NOW, "Enforced from 5.2.0; older versions warned until 2027-03-01."),
        (
            True,
            SUNSET + timedelta(hours=14, minutes=30),
            NOW,
            "Enforced from 5.2.0; older versions warned until 2027-03-01 14:30 UTC.",
        ),
        (True, None, NOW, "Enforced from 5.2.0; older versions warned with no sunset date."),
        (
            False,
            SUNSET,
            NOW,
            "Not enforced yet; once enforced, versions from 5.2.0 on are enforced and older "
            "ones warned until 2027-03-01.",
        ),
        (
            True,
            SUNSET,
            SUNSET,
            "Enforced for every version: older versions than 5.2.0 were warned until "
            "2027-03-01, and that sunset has passed.",
        ),
    ],
)
def test_the_policy_line(enforced, sunset, now, text):
    assert version_policy_view(enforced, "5.2.0", sunset, now)["text"] == text


def test_no_policy_no_line():
    assert version_policy_view(True, None, None, NOW) is None
    assert "policy" not in readiness_view({"identified": 1, "verified": 1, "share": 1.0})


def test_each_version_is_enforced_or_warned_as_the_gateway_decides():
    readiness = {
        "identified": 10,
        "verified": 3,
        "share": 0.3,
        "below_minimum": 4,
        "versions": [
            {"app_version": v, "identified": 2, "verified": 0}
            for v in ("5.1.0", "5.2.0-beta.1", "5.2.0", "5.10.0", "nightly", "")
        ],
    }
    view = readiness_view(readiness, enforced=True)
    before = with_policy(view, version_policy_view(True, "5.2.0", SUNSET, NOW))
    statuses = {row["app_version"]: row["policy"] for row in before["versions"]}
    assert statuses == {
        "5.1.0": "warned",
        "5.2.0-beta.1": "warned",
        "5.2.0": "enforced",
        "5.10.0": "enforced",
        "nightly": "enforced",
        "": "enforced",
    }
    # 7 without valid proof: 4 served below the minimum, so 3 were rejected.
    assert (before["below_minimum"], before["rejected"]) == (4, 3)
    after = with_policy(view, version_policy_view(True, "5.2.0", SUNSET, SUNSET))
    assert {row["policy"] for row in after["versions"]} == {"enforced"}


# --- the pages --------------------------------------------------------------------------------


def _text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _card(html, platform):
    """The readiness card of ``platform`` on the installation page."""
    card = html.split(f'data-testid="readiness-{platform}">', 1)[1]
    return card.split('<div class="card readiness"', 1)[0].split("</section>", 1)[0]


def _installation_page(client, workspace):
    url = reverse("installcheck:installations", kwargs={"app_id": workspace.app_id})
    return client.get(url)


@pytest.mark.parametrize("role", ["admin", "developer", "viewer"])
def test_the_installation_page_shows_the_policy_counts_and_each_versions_status(
    client, workspace, personas, policy, redis_client, role
):
    send_verified(workspace, "ok", platform="ios", app_bundle="com.acme.app", app_version="5.2.0")
    for _ in range(2):
        _ios(workspace, user_id="old", app_version="5.1.0")
    _ios(workspace, user_id="new", app_version="5.2.0")
    _ios(workspace, user_id="none")
    buffer.flush()
    folding.fold()
    readiness = PlatformSettings.objects.get(workspace=workspace, platform="ios").readiness
    assert (readiness["identified"], readiness["below_minimum"]) == (5, 2)

    client.force_login(personas[role])
    html = _installation_page(client, workspace).content.decode()
    ios = _card(html, "ios")
    text = _text(ios)
    assert f"Enforced from 5.2.0; older versions warned until {policy:%Y-%m-%d}." in text
    assert "2 served below 5.2.0 with a warning" in text
    assert "2 were rejected" in text  # 5.2.0 and the request that named no version
    statuses = dict(re.findall(r'data-version="([^"]*)">(\w+)</span>', ios))
    assert statuses == {"5.1.0": "warned", "5.2.0": "enforced", "": "enforced"}


def test_the_policy_line_shows_before_any_traffic(client, workspace, personas, policy):
    client.force_login(personas["viewer"])
    html = _installation_page(client, workspace).content.decode()
    ios = _card(html, "ios")
    assert 'data-testid="no-traffic"' in ios
    assert "Enforced from 5.2.0; older versions warned until" in _text(ios)
    web = _card(html, "web")
    assert 'data-testid="policy-line"' not in web


def test_the_overview_readiness_shows_the_policy_figures(
    client, workspace, personas, policy, redis_client
):
    _ios(workspace, user_id="old", app_version="5.1.0")
    buffer.flush()
    folding.fold()
    client.force_login(personas["developer"])
    html = client.get(reverse("security:overview", kwargs={"app_id": workspace.app_id}))
    text = _text(html.content.decode())
    assert "1 served below 5.2.0 with a warning" in text
    assert "0 were rejected" in text


def test_the_api_readiness_carries_the_warned_count(client, workspace, personas, policy):
    PlatformSettings.objects.filter(workspace=workspace, platform="ios").update(
        readiness=summarize(
            [
                {
                    "installation": "com.acme.app",
                    "outcome": BELOW_MINIMUM,
                    "code": "missing_user_hash",
                    "proof": "",
                    "app_version": "5.1.0",
                    "count": 3,
                }
            ],
            timezone.now(),
        )
    )
    client.force_login(personas["viewer"])
    url = reverse("security-api:platform-list", kwargs={"app_id": workspace.app_id})
    (ios,) = [p for p in client.get(url).json() if p["platform"] == "ios"]
    assert ios["readiness"]["below_minimum"] == 3
    assert ios["enforce_from_version"] == "5.2.0"


@pytest.mark.parametrize("who", ["outsider", "support"])
def test_the_installation_page_is_404_for_outsider_and_support(
    client, workspace, personas, policy, who
):
    client.force_login(personas[who])
    assert _installation_page(client, workspace).status_code == 404


# --- the gateway's refusals -------------------------------------------------------------------


def test_a_refusal_names_the_policy_before_and_after_the_sunset(workspace, policy, monkeypatch):
    sunset_text = policy.isoformat().replace("+00:00", "Z")
    current = _ios(workspace, user_id="42", app_version="5.2.0")
    assert current.status_code == 403
    assert current.json()["enforce_from_version"] == "5.2.0"
    assert current.json()["sunset_at"] == sunset_text
    wrong = _ios(workspace, user_id="42", user_hash="0" * 64, app_version="5.3.0")
    assert (wrong.status_code, wrong.json()["enforce_from_version"]) == (401, "5.2.0")
    later = policy + timedelta(seconds=1)
    monkeypatch.setattr("installcheck.ping.timezone.now", lambda: later)
    old = _ios(workspace, user_id="42", app_version="5.1.0")
    assert old.status_code == 403
    assert (old.json()["enforce_from_version"], old.json()["sunset_at"]) == ("5.2.0", sunset_text)


def test_without_a_policy_a_refusal_is_as_before(workspace):
    set_enforcement(workspace, "ios", True, actor=None)
    response = _ios(workspace, user_id="42", app_version="5.1.0")
    assert response.status_code == 403
    assert set(response.json()) == {"error", "message", "request_id"}
