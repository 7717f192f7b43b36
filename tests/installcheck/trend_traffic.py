"""Trend traffic for the tests: earlier days' counts through the real buffer and fold,
and readers of the trends page's SVG and tables."""

import re
from datetime import timedelta
from xml.etree import ElementTree as ET

from django.urls import reverse
from django.utils import timezone

from installcheck import fold as folding
from installcheck.counting import CountKey, buffer
from security.vocabulary import hmac_reference
from tests.installcheck.traffic import send, send_verified

SVG = "{http://www.w3.org/2000/svg}"


def url(workspace, platform="web"):
    return reverse("installcheck:trends", kwargs={"app_id": workspace.app_id, "platform": platform})


def past(workspace, days_ago, outcome, n, *, platform="web", code="", proof="", version=""):
    """Counts of an earlier day, added to the gateway's buffer as the gateway adds them
    (CountKey with its day): the fold makes them daily rows like any other."""
    day = (timezone.now() - timedelta(days=days_ago)).strftime("%Y-%m-%d")
    key = CountKey(
        workspace_id=workspace.pk,
        platform=platform,
        installation="shop.example.com" if platform == "web" else "com.acme.app",
        outcome=outcome,
        code=code,
        proof=proof,
        app_version=version,
        day=day,
    )
    for _ in range(n):
        buffer.add(key, timezone.now().timestamp())


def fold():
    buffer.flush()
    folding.fold()


def month_of_traffic(workspace):
    """Web: 3 days ago 6 verified + 2 missing + 2 invalid; 40 days ago (outside the window)
    50 verified; today 2 verified and 1 missing through the real gateway. iOS by version."""
    v1 = hmac_reference("web", 1)
    past(workspace, 3, "verified", 6, proof=v1)
    past(workspace, 3, "unverified", 2, code="missing_user_hash")
    past(workspace, 3, "unverified", 2, code="invalid_user_hash")
    past(workspace, 40, "verified", 50, proof=v1)
    send_verified(workspace, "a")
    send_verified(workspace, "b")
    send(workspace, user_id="c")
    send(workspace)  # a visitor: not identified, not charted
    ios = hmac_reference("ios", 1)
    for n, version in enumerate(["5.2.0", "5.1.0", "5.0.0", "4.9.0", "4.8.0", "4.7.0", "4.6.0"]):
        past(workspace, 2, "verified", 10 - n, platform="ios", proof=ios, version=version)
    past(workspace, 2, "unverified", 4, platform="ios", code="missing_user_hash", version="4.6.0")
    past(workspace, 2, "unverified", 3, platform="ios", code="missing_user_hash", version="")
    fold()
    return workspace


def page(client, personas, workspace, platform="web", role="viewer"):
    client.force_login(personas[role])
    response = client.get(url(workspace, platform))
    assert response.status_code == 200
    return response.content.decode()


def svgs(body):
    """Every chart's SVG of a page, parsed as XML (a parse error fails the test)."""
    found = re.findall(r'<svg class="chart-svg".*?</svg>', body, flags=re.S)
    return {tree.get("data-chart"): tree for tree in (ET.fromstring(svg) for svg in found)}


def bars(tree, series):
    return [
        rect for rect in tree.iter(f"{SVG}rect") if f"s-{series}" in rect.get("class", "").split()
    ]


def table(body, chart_id):
    """The rows of the table behind a chart: a list of cell-text lists."""
    match = re.search(rf'<table data-testid="table-{chart_id}">(.*?)</table>', body, flags=re.S)
    assert match, chart_id
    rows = re.findall(r"<tr>(.*?)</tr>", match.group(1), flags=re.S)
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S) for row in rows]
