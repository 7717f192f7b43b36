"""The installation page and its htmx partials: roles, table, filters, check, log."""

import re
from unittest import mock

import pytest
from django.urls import reverse
from kombu.exceptions import OperationalError

from installcheck import fold as folding
from installcheck.counting import buffer
from installcheck.models import Job, JobState
from tests.installcheck.traffic import send, send_verified

pytestmark = pytest.mark.django_db


def url(workspace, name="installcheck:installations", **kwargs):
    return reverse(name, kwargs={"app_id": workspace.app_id, **kwargs})


@pytest.fixture
def traffic(workspace, redis_client):
    send_verified(workspace, "a")
    send_verified(workspace, "b", origin="https://good.example.com")
    send(workspace, user_id="c", origin="https://bad.example.com")
    send_verified(workspace, "m", platform="ios", app_bundle="com.acme.app", app_version="5.2")
    buffer.flush()
    folding.fold()


@pytest.mark.parametrize("role", ["admin", "developer", "viewer"])
def test_every_member_sees_the_installation_page(client, personas, workspace, traffic, role):
    client.force_login(personas[role])
    response = client.get(url(workspace))
    assert response.status_code == 200
    body = response.content.decode()
    assert "shop.example.com" in body
    assert "bad.example.com" in body
    assert "missing_user_hash" in body
    assert 'data-testid="readiness-ios"' in body


@pytest.mark.parametrize("who", ["outsider", "support"])
def test_outsiders_and_support_get_404(client, personas, workspace, who):
    client.force_login(personas[who])
    assert client.get(url(workspace)).status_code == 404
    assert client.get(url(workspace, "installcheck:table")).status_code == 404
    assert client.get(url(workspace, "installcheck:log")).status_code == 404
    assert client.post(url(workspace, "installcheck:check")).status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, workspace):
    response = client.get(url(workspace))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_new_workspace_shows_how_to_install(client, personas, workspace):
    client.force_login(personas["viewer"])
    body = client.get(url(workspace)).content.decode()
    assert 'data-testid="installations-empty"' in body
    assert workspace.app_id in body
    assert 'data-testid="log-empty"' in body


def test_the_table_filters_by_status(client, personas, workspace, traffic):
    client.force_login(personas["developer"])
    body = client.get(url(workspace, "installcheck:table"), {"status": "warning"}).content.decode()
    assert "bad.example.com" in body
    assert "good.example.com" not in body


def test_the_table_sorts_and_reverses(client, personas, workspace, traffic):
    client.force_login(personas["developer"])
    body = client.get(url(workspace, "installcheck:table"), {"sort": "-name"}).content.decode()
    assert body.index("shop.example.com") < body.index("bad.example.com")
    body = client.get(url(workspace, "installcheck:table"), {"sort": "name"}).content.decode()
    assert body.index("bad.example.com") < body.index("shop.example.com")


def test_an_unknown_filter_value_is_explained_not_a_500(client, personas, workspace, traffic):
    client.force_login(personas["viewer"])
    response = client.get(url(workspace, "installcheck:table"), {"status": "nope", "sort": "x"})
    assert response.status_code == 200
    assert "status must be one of" in response.content.decode()


def test_the_table_pages(client, personas, workspace, redis_client):
    for n in range(30):
        send_verified(workspace, "u", origin=f"https://h{n:02}.example.com")
    buffer.flush()
    folding.fold()
    client.force_login(personas["viewer"])
    first = client.get(url(workspace, "installcheck:table"), {"sort": "name"}).content.decode()
    second = client.get(url(workspace, "installcheck:table"), {"sort": "name", "page": 2})
    assert "h00.example.com" in first and "h29.example.com" not in first
    assert "h29.example.com" in second.content.decode()
    assert "Page 2 of 2" in second.content.decode()


def test_the_page_runs_a_bounded_number_of_queries(
    client, personas, workspace, redis_client, django_assert_max_num_queries
):
    for n in range(40):
        send(workspace, user_id=f"u{n}", origin=f"https://h{n:02}.example.com")
    buffer.flush()
    folding.fold()
    client.force_login(personas["viewer"])
    # Each includes the 2 queries of the fingerprint its live poll sends back (issue 17 #5);
    # the page 1 more for the figures since an open rotation (#2).
    with django_assert_max_num_queries(17):
        response = client.get(url(workspace))
    assert response.status_code == 200
    with django_assert_max_num_queries(10):
        client.get(url(workspace, "installcheck:table"))
    with django_assert_max_num_queries(8):
        client.get(url(workspace, "installcheck:log"))


def test_the_log_filters_by_reason_and_request_id(client, personas, workspace, redis_client):
    missing = send(workspace, user_id="x").json()["request_id"]
    invalid = send(workspace, user_id="y", user_hash="0" * 64).json()["request_id"]
    buffer.flush()
    folding.fold()
    client.force_login(personas["viewer"])
    log_url = url(workspace, "installcheck:log")
    body = client.get(log_url, {"code": "invalid_user_hash"}).content.decode()
    assert invalid in body and missing not in body
    body = client.get(log_url, {"request_id": missing[:8]}).content.decode()
    assert missing in body and invalid not in body


@pytest.mark.parametrize("role", ["admin", "developer"])
# Committed for real: the task is published after the job's transaction commits.
@pytest.mark.django_db(transaction=True)
def test_admins_and_developers_start_a_check(client, personas, workspace, role):
    client.force_login(personas[role])
    with mock.patch("installcheck.actions.check_installation.apply_async") as publish:
        response = client.post(url(workspace, "installcheck:check"), HTTP_HX_REQUEST="true")
    job = Job.objects.get(workspace=workspace)
    publish.assert_called_once()
    assert publish.call_args.args[0] == (job.pk,)
    assert job.state == JobState.QUEUED
    assert job.created_by == personas[role]
    assert 'hx-trigger="every 1s"' in response.content.decode()


def test_viewers_cannot_start_a_check(client, personas, workspace):
    client.force_login(personas["viewer"])
    assert client.post(url(workspace, "installcheck:check")).status_code == 403
    body = client.get(url(workspace)).content.decode()
    assert "Only admins and developers can run the check" in body
    assert not Job.objects.exists()


# Committed for real: the task is published after the job's transaction commits.
@pytest.mark.django_db(transaction=True)
def test_a_check_without_javascript_redirects_to_the_job(client, personas, workspace):
    client.force_login(personas["admin"])
    with mock.patch("installcheck.actions.check_installation.apply_async"):
        response = client.post(url(workspace, "installcheck:check"))
    job = Job.objects.get()
    assert response["Location"].endswith(f"?job={job.pk}")
    assert f"Check #{job.pk} is queued" in client.get(response["Location"]).content.decode()


# Committed for real: the task is published after the job's transaction commits.
@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_is_told_to_the_user_and_stored(client, personas, workspace):
    client.force_login(personas["admin"])
    down = OperationalError("connection refused")
    with mock.patch("installcheck.actions.check_installation.apply_async", side_effect=down):
        response = client.post(url(workspace, "installcheck:check"), HTTP_HX_REQUEST="true")
    assert "The job queue is unavailable" in response.content.decode()
    job = Job.objects.get()
    assert job.state == JobState.FAILED
    assert "unavailable" in job.error


def test_the_overview_and_the_installation_page_render_one_readiness(
    client, personas, workspace, traffic
):
    """One builder and one template: both pages word the same figures alike."""
    client.force_login(personas["viewer"])
    overview = client.get(reverse("security:overview", args=[workspace.app_id])).content.decode()
    page = client.get(url(workspace)).content.decode()
    for body in (overview, page):
        assert "hmac:web:v1" in body
        assert "would be rejected" in body
        assert 'data-testid="readiness-share"' in body


def test_tables_name_platforms_by_their_label_and_times_in_one_style(
    client, personas, workspace, traffic
):
    send(workspace, user_id="z", platform="ios", app_bundle="com.acme.app")
    buffer.flush()
    folding.fold()
    client.force_login(personas["viewer"])
    for page in (url(workspace), url(workspace, "installcheck:log")):
        body = client.get(page).content.decode()
        cells = re.findall(r"<td>([^<]*)</td>", body)
        assert "ios" not in cells and "web" not in cells, page
        assert "<td>iOS</td>" in body, page
        assert re.search(
            r'<time datetime="[^"]+Z" title="[^"]+Z">\d{4}-\d\d-\d\d \d\d:\d\d UTC</time>', body
        )
        assert " ago<" not in body and "+00:00" not in body


def test_an_idna_installation_shows_its_unicode_name_beside_the_ascii(
    client, personas, workspace, redis_client
):
    send(workspace, user_id="u", origin="https://xn--bcher-kva.example")
    buffer.flush()
    folding.fold()
    client.force_login(personas["viewer"])
    body = client.get(url(workspace)).content.decode()
    assert "bücher.example" in body and "(xn--bcher-kva.example)" in body


def test_a_log_row_shows_the_diagnosis_codes_and_keeps_the_explanation_folded(
    client, personas, workspace, redis_client
):
    """Issue 17 #12: a row is one line high: the codes, the explanation in a <details>,
    the date unbroken."""
    send(workspace, user_id="y", user_hash="0" * 64)
    buffer.flush()
    folding.fold()
    client.force_login(personas["viewer"])
    body = client.get(url(workspace, "installcheck:log")).content.decode()
    row = re.search(r'<td class="diagnosis">(.*?)</td>', body, re.S).group(1)
    summary, explanation = re.search(
        r'<details data-testid="diagnosis"><summary>(.*?)</summary>(.*?)</details>', row, re.S
    ).groups()
    assert "<code>" in summary and "<p>" not in summary
    assert explanation.count("<p>") == summary.count("<code>") >= 1
    assert len(re.sub(r"<[^>]+>", "", explanation)) > len(re.sub(r"<[^>]+>", "", summary))
    assert re.search(r'<td class="nowrap" data-testid="log-time"><time ', body)


def test_the_fold_tells_workspaces_which_origins_a_first_domain_would_refuse(
    workspace, personas, redis_client
):
    """Issue 17 #6 end to end: installcheck writes the web origins seen into the workspace
    (workspaces may not ask installcheck), and the first domain is confirmed against them."""
    from workspaces.actions import add_trusted_domain
    from workspaces.refusals import Refused

    send_verified(workspace, "a", origin="https://shop.example.com")
    send(workspace, user_id="b", origin="https://other.example.net")
    send(workspace, user_id="c", origin="https://other.example.net")
    send_verified(workspace, "m", platform="ios", app_bundle="com.acme.app", app_version="5.2")
    buffer.flush()
    folding.fold()
    workspace.refresh_from_db()
    assert {o["name"]: o["requests"] for o in workspace.web_origins_seen["origins"]} == {
        "shop.example.com": 1,
        "other.example.net": 2,
    }
    with pytest.raises(Refused) as refused:
        add_trusted_domain(workspace, "shop.example.com", actor=personas["admin"])
    assert refused.value.code == "confirmation_required"
    assert [o["name"] for o in refused.value.extra["origins"]] == ["other.example.net"]
    add_trusted_domain(workspace, "shop.example.com", confirm=True, actor=personas["admin"])
    assert workspace.trusted_domains.count() == 1
