"""One way to show a time, a host and a test workspace's name across the console."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.urls import reverse

from workspaces.actions import add_member, add_trusted_domain
from workspaces.templatetags.verity import host, when

pytestmark = pytest.mark.django_db


def test_a_time_reads_in_utc_with_the_exact_time_in_its_title():
    moment = datetime(2026, 12, 1, 22, 34, 31, 25383, tzinfo=timezone(timedelta(hours=1)))
    assert when(moment) == (
        '<time datetime="2026-12-01T21:34:31Z" title="2026-12-01T21:34:31Z">'
        "2026-12-01 21:34 UTC</time>"
    )


def test_an_iso_string_reads_like_any_other_time():
    assert when("2026-12-01T21:34:31.025383+00:00") == when(
        datetime(2026, 12, 1, 21, 34, 31, tzinfo=UTC)
    )
    assert when("2026-12-01T21:34:31Z").endswith(">2026-12-01 21:34 UTC</time>")


@pytest.mark.parametrize(("value", "shown"), [(None, "–"), ("", "–"), ("not a time", "not a time")])
def test_what_is_not_a_time_is_shown_as_it_is(value, shown):
    assert when(value) == shown


def test_an_idna_host_shows_its_unicode_form_with_the_ascii_beside():
    assert host("xn--bcher-kva.example").startswith("bücher.example <span")
    assert "(xn--bcher-kva.example)" in host("xn--bcher-kva.example")
    assert host("shop.example.com") == "shop.example.com"
    assert host("xn--broken--.example") == "xn--broken--.example"


def test_the_trusted_domains_page_shows_both_forms(client, workspace, personas):
    add_trusted_domain(workspace, "*.Bücher.example", actor=personas["admin"])
    client.force_login(personas["viewer"])
    html = client.get(reverse("workspaces:trusted-domains", args=[workspace.app_id])).content
    html = html.decode()
    assert "<code>*.bücher.example</code>" in html
    assert 'data-testid="ascii-form"' in html and "*.xn--bcher-kva.example" in html
    assert "not bücher.example itself" in html


def test_the_test_workspace_is_named_test_once(client, workspace, personas):
    add_member(workspace.twin, personas["admin"], "admin")
    client.force_login(personas["admin"])
    page = client.get(reverse("security:overview", args=[workspace.twin.app_id])).content.decode()
    top = page.split('<header class="topbar">')[1].split("</header>")[0]
    assert "[TEST] Acme" in top
    assert top.count("TEST") == 1
    home = client.get(reverse("workspaces:home")).content.decode()
    picker = home.split('<ul class="picker">')[1].split("</ul>")[0]
    assert picker.count("TEST") == 1
