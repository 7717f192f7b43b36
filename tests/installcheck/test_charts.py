"""The SVG charts (installcheck.charts, pure): axis tops, shares, escaping, edge cases."""

from xml.etree import ElementTree as ET

import pytest

from installcheck import charts
from installcheck.charts import Series
from tests.installcheck.traffic import send, send_verified
from tests.installcheck.trend_traffic import SVG, bars, fold, page, svgs, table

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1), (1, 1), (3, 5), (10, 10), (11, 20), (101, 200), (4999, 5000)]
)
def test_the_axis_tops_at_a_round_number(value, top):
    assert charts.nice_max(value) == top


def test_shares_read_as_people_write_them():
    assert charts.percent(0, 0) == "–"
    assert charts.percent(2, 3) == "66.7%"
    assert charts.percent(3, 3) == "100%"


def test_an_empty_chart_is_still_valid_svg():
    chart = charts.stacked_bars("c", "T", "D", ["a", "b"], [Series("verified", "V", (0, 0))])
    tree = ET.fromstring(chart.svg)
    assert bars(tree, "verified") == []
    assert chart.rows == [["a", "0", "0"], ["b", "0", "0"]]


def test_one_day_is_one_narrow_bar_not_the_whole_width():
    chart = charts.stacked_bars("c", "T", "D", ["today"], [Series("new", "New", (5,))])
    (bar,) = bars(ET.fromstring(chart.svg), "new")
    assert float(bar.get("width")) <= charts.MAX_BAR


def test_a_marker_near_the_right_edge_is_named_on_its_left():
    labels = [str(n) for n in range(8)]
    chart = charts.stacked_bars(
        "c", "T", "D", labels, [Series("old", "Old", (1,) * 8)], marker=(7, "rotated")
    )
    tree = ET.fromstring(chart.svg)
    (label,) = [t for t in tree.iter(f"{SVG}text") if t.text == "rotated"]
    (line,) = [el for el in tree.iter(f"{SVG}line") if el.get("class") == "chart-marker"]
    assert label.get("text-anchor") == "end"
    assert float(label.get("x")) < float(line.get("x1"))


def test_text_is_escaped_in_the_svg():
    hostile = '</title><script>alert(1)</script><a href="x">'
    chart = charts.horizontal_bars(
        "c", hostile, hostile, [hostile], [Series("verified", "Verified", (3,))]
    )
    tree = ET.fromstring(chart.svg)
    assert not [el for el in tree.iter() if el.tag in (f"{SVG}script", f"{SVG}a")]
    assert tree.find(f"{SVG}title").text == hostile


def test_an_app_version_sent_to_the_gateway_cannot_inject_markup(
    client, personas, workspace, redis_client
):
    """app_version is the client's own text: it reaches the chart, escaped."""
    hostile = '"><script>alert(1)</script><svg onload=alert(2)>'
    send_verified(workspace, "u", platform="ios", app_bundle="com.acme.app", app_version=hostile)
    send(workspace, platform="ios", user_id="v", app_bundle="com.acme.app", app_version="5.0")
    fold()
    body = page(client, personas, workspace, platform="ios")
    assert "<script>alert(1)" not in body and "<svg onload" not in body
    tree = svgs(body)["versions"]
    assert any(hostile in (t.text or "") for t in tree.iter(f"{SVG}text"))
    # One request each: ordered by name.
    assert [row[0] for row in table(body, "versions")[1:]] == [
        "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;svg onload=alert(2)&gt;",
        "5.0",
    ]
