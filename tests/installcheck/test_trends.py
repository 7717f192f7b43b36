"""Issue 17, charts: 30 days of a platform's identified requests, from the gateway's real
counts through the fold into daily buckets, drawn as SVG with the table behind it."""

from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from installcheck import trends
from security.actions import secret_rotation
from security.vocabulary import hmac_reference
from tests.installcheck.trend_traffic import (
    SVG,
    bars,
    fold,
    month_of_traffic,
    page,
    past,
    svgs,
    table,
    url,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def month(workspace, redis_client):
    """A month of web and iOS traffic (trend_traffic.month_of_traffic)."""
    return month_of_traffic(workspace)


def test_daily_buckets_come_from_the_folded_counts(month):
    buckets = trends.daily(month.pk, "web")
    assert len(buckets) == trends.TREND_DAYS == 30
    today = timezone.now().date()
    assert buckets[-1].label == today.isoformat()
    assert buckets[0].label == (today - timedelta(days=29)).isoformat()
    three_ago = buckets[-4]
    assert (three_ago.verified, three_ago.missing, three_ago.invalid) == (6, 2, 2)
    assert three_ago.share == 60.0
    assert (buckets[-1].verified, buckets[-1].missing, buckets[-1].invalid) == (2, 1, 0)
    # The day 40 days ago is outside the window; the visitor is not identified.
    assert sum(b.identified for b in buckets) == 13
    assert [b.share for b in buckets].count(None) == 28


def test_versions_are_the_top_six_and_the_rest_summed(month):
    versions = trends.by_version(month.pk, "ios")
    labels = [b.label for b in versions.top]
    # Most identified first (4.6.0: 4 verified + 4 missing), ties by name.
    assert labels == ["5.2.0", "5.1.0", "4.6.0", "5.0.0", "4.9.0", "4.8.0"]
    top = versions.top[2]
    assert (top.verified, top.missing, top.share) == (4, 4, 50.0)
    # 4.7.0 (5 verified) and the requests that sent no version (3 missing).
    assert versions.other_count == 2
    assert (versions.other.verified, versions.other.missing, versions.other.invalid) == (5, 3, 0)


@pytest.mark.parametrize("role", ["admin", "developer", "viewer"])
def test_every_member_who_sees_readiness_sees_the_charts(client, personas, month, role):
    body = page(client, personas, month, role=role)
    assert set(svgs(body)) == {"daily", "share"}


@pytest.mark.parametrize("who", ["outsider", "support"])
def test_outsiders_and_support_get_404(client, personas, month, who):
    client.force_login(personas[who])
    assert client.get(url(month)).status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, month):
    response = client.get(url(month))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_an_unknown_platform_is_a_404(client, personas, month):
    client.force_login(personas["admin"])
    response = client.get(f"/w/{month.app_id}/trends/windows/")
    assert response.status_code == 404


def test_the_daily_chart_is_accessible_csp_clean_svg(client, personas, month):
    body = page(client, personas, month)
    for chart_id, tree in svgs(body).items():
        assert tree.get("role") == "img"
        title, desc = tree.find(f"{SVG}title"), tree.find(f"{SVG}desc")
        assert title is not None and title.text and desc is not None and desc.text
        assert tree.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        for element in tree.iter():
            assert "style" not in element.attrib, (chart_id, element.tag)
            assert not any(name.startswith("on") for name in element.attrib)
            assert element.tag not in (f"{SVG}script", f"{SVG}style", f"{SVG}foreignObject")
    assert "<script>" not in body and " style=" not in body


def test_bars_are_proportional_and_stacked(client, personas, month):
    tree = svgs(page(client, personas, month))["daily"]
    heights = {
        series: [(float(r.get("height")), int(r.get("data-value"))) for r in bars(tree, series)]
        for series in ("verified", "missing", "invalid")
    }
    # Three days ago: 6 verified, 2 missing, 2 invalid; today 2 verified and 1 missing.
    assert [v for _, v in heights["verified"]] == [6, 2]
    assert [v for _, v in heights["missing"]] == [2, 1]
    assert [v for _, v in heights["invalid"]] == [2]
    unit = heights["verified"][0][0] / 6
    for series in heights.values():
        for height, value in series:
            assert height == pytest.approx(unit * value, abs=0.02)
    # The axis tops at 10 (a nice number over the busiest day's 10): that day fills it.
    day = [r for r in tree.iter(f"{SVG}rect") if "bar" in r.get("class", "")][:3]
    assert sum(float(r.get("height")) for r in day) == pytest.approx(200 - 10 - 22, abs=0.05)
    # Stacked: each segment sits on the one below.
    verified, missing, invalid = day
    assert float(missing.get("y")) + float(missing.get("height")) == pytest.approx(
        float(verified.get("y")), abs=0.02
    )
    assert float(invalid.get("y")) + float(invalid.get("height")) == pytest.approx(
        float(missing.get("y")), abs=0.02
    )


def test_the_tables_hold_the_charts_numbers(client, personas, month):
    body = page(client, personas, month)
    rows = table(body, "daily")
    assert rows[0] == ["Day", "Verified", "Missing proof", "Invalid proof", "Total"]
    assert len(rows) == 1 + 30
    today = timezone.now().date()
    by_day = {row[0]: row[1:] for row in rows[1:]}
    assert by_day[(today - timedelta(days=3)).isoformat()] == ["6", "2", "2", "10"]
    assert by_day[today.isoformat()] == ["2", "1", "0", "3"]
    shares = {row[0]: row[1] for row in table(body, "share")[1:]}
    assert shares[(today - timedelta(days=3)).isoformat()] == "60%"
    assert shares[today.isoformat()] == "66.7%"
    assert shares[(today - timedelta(days=4)).isoformat()] == "–"
    points = [float(p.get("data-value")) for p in svgs(body)["share"].iter(f"{SVG}circle")]
    assert points == [60.0, 66.7]
    assert 'data-testid="trends-share">61.5%<' in body  # 8 of 13


def test_mobile_is_charted_by_app_version(client, personas, month):
    body = page(client, personas, month, platform="ios")
    tree = svgs(body)["versions"]
    verified = {r.find(f"{SVG}title").text.split(":")[0]: r for r in bars(tree, "verified")}
    assert list(verified)[:3] == ["5.2.0", "5.1.0", "4.6.0"]
    width = float(verified["5.2.0"].get("width"))
    assert float(verified["5.1.0"].get("width")) == pytest.approx(width * 9 / 10, abs=0.02)
    rows = table(body, "versions")
    assert rows[0] == [
        "App version",
        "Verified",
        "Missing proof",
        "Invalid proof",
        "Total",
        "Share verified",
    ]
    assert rows[3] == ["4.6.0", "4", "4", "0", "8", "50%"]
    assert rows[-1] == ["other versions (2)", "5", "3", "0", "8", "62.5%"]
    # The web page has no version chart.
    assert "versions" not in svgs(page(client, personas, month))


def test_no_traffic_is_an_empty_state(client, personas, workspace):
    body = page(client, personas, workspace, platform="android")
    assert "No identified requests in the last 30 days." in body
    assert 'data-testid="trends-empty"' in body
    assert svgs(body) == {}


def test_old_secret_against_new_since_a_rotation(client, personas, workspace, redis_client):
    request = secret_rotation.open_request(
        workspace,
        "web",
        mode="overlap",
        reason="routine",
        ticket="SUP-1",
        overlap_hours=48,
        actor=personas["admin"],
    )
    secret_rotation.rotate(request.pk, actor=personas["support"])
    request.refresh_from_db()
    old, new = hmac_reference("web", request.old_version), hmac_reference("web", 2)
    assert request.new_version == 2
    past(workspace, 5, "verified", 9, proof=old)  # before the rotation: the context
    past(workspace, 9, "verified", 7, proof=old)  # over a week before: not drawn
    past(workspace, 0, "verified", 3, proof=old)
    past(workspace, 0, "verified", 5, proof=new)
    fold()
    body = page(client, personas, workspace)
    tree = svgs(body)["rotation"]
    assert [int(r.get("data-value")) for r in bars(tree, "old")] == [9, 3]
    assert [int(r.get("data-value")) for r in bars(tree, "new")] == [5]
    today = timezone.now().date()
    rows = table(body, "rotation")
    assert rows[0] == ["Day", f"Old secret ({old})", f"New secret ({new})", "Total"]
    assert len(rows) == 1 + 8  # a week before the rotation, and its day
    assert rows[3] == [(today - timedelta(days=5)).isoformat(), "9", "0", "9"]
    assert rows[-1] == [today.isoformat(), "3", "5", "8"]
    # The dashed line stands before the rotation's day (the last bar), and is named.
    lines = [el for el in tree.iter(f"{SVG}line") if el.get("class") == "chart-marker"]
    assert len(lines) == 1
    last_bar = bars(tree, "new")[0]
    assert float(lines[0].get("x1")) < float(last_bar.get("x"))
    assert "rotated" in ET.tostring(tree, encoding="unicode")
    # The description counts from the rotation only: 3 old, 5 new.
    assert "62.5% on the new secret" in body


def test_requests_refused_with_the_old_secret_are_drawn_apart(
    client, personas, workspace, redis_client
):
    """After a gap rotation the old secret no longer verifies: a wrong hash that the
    gateway names as made with it (its reference on the failed count) is its own series."""
    request = secret_rotation.open_request(
        workspace, "web", mode="gap", reason="routine", ticket="SUP-3", actor=personas["admin"]
    )
    secret_rotation.rotate(request.pk, actor=personas["support"])
    old, new = hmac_reference("web", 1), hmac_reference("web", 2)
    past(workspace, 0, "unverified", 4, code="invalid_user_hash", proof=old)
    past(workspace, 0, "verified", 6, proof=new)
    fold()
    body = page(client, personas, workspace)
    tree = svgs(body)["rotation"]
    assert [int(r.get("data-value")) for r in bars(tree, "old-failed")] == [4]
    assert table(body, "rotation")[0] == [
        "Day",
        f"Old secret ({old})",
        "Old secret, refused",
        f"New secret ({new})",
        "Total",
    ]
    assert "4 more signed with the old secret were refused." in body
    # Without such counts the series is left out.
    assert "Old secret, refused" not in page(client, personas, workspace, platform="ios")


def test_no_rotation_says_so(client, personas, month):
    body = page(client, personas, month)
    assert 'data-testid="trends-no-rotation"' in body


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_each_readiness_card_links_to_its_trends(client, personas, month, role):
    client.force_login(personas[role])
    for name in ("security:overview", "installcheck:installations"):
        body = client.get(reverse(name, kwargs={"app_id": month.app_id})).content.decode()
        for platform in ("web", "ios", "android"):
            assert f'href="{url(month, platform)}"' in body, (name, platform)


def test_fewer_days_kept_are_fewer_days_drawn(client, personas, month, settings):
    """With counts kept 10 days, the charts cover 10 days, not 30 with 20 empty ones."""
    settings.VERITY_RETENTION_DAYS = 10
    body = page(client, personas, month)
    assert len(table(body, "daily")) == 1 + 10
    assert "last 10 days" in body
