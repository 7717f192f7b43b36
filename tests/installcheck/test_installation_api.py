"""The installation API: table, check job, job detail, verification log, per role."""

from unittest import mock

import pytest
from django.db import transaction
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from installcheck import fold as folding
from installcheck.actions import start_check
from installcheck.counting import buffer
from installcheck.models import Job
from installcheck.tasks import check_installation
from tests.factories import make_workspace
from tests.installcheck.traffic import send, send_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def traffic(workspace, redis_client):
    send_verified(workspace, "a")
    send(workspace, user_id="b", origin="https://bad.example.com")
    buffer.flush()
    folding.fold()


@pytest.mark.parametrize("role", ["admin", "developer", "viewer"])
def test_members_list_installations(api, personas, workspace, traffic, role):
    api.force_authenticate(personas[role])
    response = api.get(f"/api/v1/workspaces/{workspace.app_id}/installations/")
    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()["results"]}
    assert rows["shop.example.com"]["status"] == "verified"
    assert rows["bad.example.com"]["status"] == "warning"
    assert rows["bad.example.com"]["top_reason"] == "missing_user_hash"
    assert rows["bad.example.com"]["missing"] == 1


@pytest.mark.parametrize("who", ["outsider", "support"])
def test_non_members_get_404_everywhere(api, personas, workspace, who):
    api.force_authenticate(personas[who])
    base = f"/api/v1/workspaces/{workspace.app_id}"
    assert api.get(f"{base}/installations/").status_code == 404
    assert api.post(f"{base}/installations/check").status_code == 404
    assert api.get(f"{base}/verification-log/").status_code == 404


def test_a_bad_filter_is_a_400_with_an_error_code(api, personas, workspace):
    api.force_authenticate(personas["viewer"])
    response = api.get(f"/api/v1/workspaces/{workspace.app_id}/installations/?status=nope")
    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"
    assert "status" in response.json()["fields"]


def test_anonymous_callers_get_an_error_code(api, workspace):
    response = api.get(f"/api/v1/workspaces/{workspace.app_id}/installations/")
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


# Committed for real: the task is published after the job's transaction commits.
@pytest.mark.django_db(transaction=True)
def test_the_check_job_runs_and_reports(api, personas, workspace, traffic):
    api.force_authenticate(personas["developer"])
    with mock.patch("installcheck.actions.check_installation.apply_async"):
        response = api.post(f"/api/v1/workspaces/{workspace.app_id}/installations/check")
    assert response.status_code == 202
    job_id = response.json()["job_id"]
    assert api.get(f"/api/v1/jobs/{job_id}").json()["state"] == "queued"

    check_installation(job_id)
    check_installation(job_id)  # delivered twice: the second run does nothing

    body = api.get(f"/api/v1/jobs/{job_id}").json()
    assert body["state"] == "succeeded"
    assert body["progress"] == 100
    assert body["result"]["installations"] == 2
    assert body["result"]["by_status"] == {"verified": 1, "warning": 1}
    assert body["duration_seconds"] is not None


def test_a_failing_check_is_stored_as_failed(api, personas, workspace):
    job = Job.objects.create(kind="check_installation", workspace=workspace)
    with mock.patch("installcheck.fold.fold", side_effect=RuntimeError("boom")):
        check_installation(job.pk)
    api.force_authenticate(personas["viewer"])
    body = api.get(f"/api/v1/jobs/{job.pk}").json()
    assert body["state"] == "failed"
    assert "RuntimeError" in body["error"]
    assert body["finished_at"]


def test_viewers_cannot_start_a_check(api, personas, workspace):
    api.force_authenticate(personas["viewer"])
    response = api.post(f"/api/v1/workspaces/{workspace.app_id}/installations/check")
    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied"


# Committed for real: the task is published after the job's transaction commits.
@pytest.mark.django_db(transaction=True)
def test_a_down_broker_is_a_503_with_an_error_code(api, personas, workspace):
    api.force_authenticate(personas["admin"])
    down = OperationalError("refused")
    with mock.patch("installcheck.actions.check_installation.apply_async", side_effect=down):
        response = api.post(f"/api/v1/workspaces/{workspace.app_id}/installations/check")
    assert response.status_code == 503
    assert response.json()["error"] == "queue_unavailable"
    assert Job.objects.get().state == "failed"


def test_jobs_of_other_workspaces_are_404(api, personas, workspace):
    other = make_workspace("Other")
    job = Job.objects.create(kind="check_installation", workspace=other)
    api.force_authenticate(personas["admin"])
    assert api.get(f"/api/v1/jobs/{job.pk}").status_code == 404
    assert api.get("/api/v1/jobs/999999").status_code == 404


def test_the_job_route_renders_the_progress_partial_for_htmx(api, personas, workspace):
    job = Job.objects.create(kind="check_installation", workspace=workspace, state="running")
    api.force_authenticate(personas["viewer"])
    response = api.get(f"/api/v1/jobs/{job.pk}", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert 'data-state="running"' in response.content.decode()


@pytest.mark.parametrize("query", ["", "?format=html"])
def test_job_errors_are_json_even_when_html_is_asked(api, personas, workspace, query):
    # Found by the API fuzzer: the htmx partial renderer drew the error and crashed (500).
    job = Job.objects.create(kind="check_installation", workspace=workspace)
    api.force_authenticate(personas["viewer"])
    html = {"HTTP_ACCEPT": "text/html"}
    missing = api.get(f"/api/v1/jobs/999999{query}", **html)
    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")
    refused = api.delete(f"/api/v1/jobs/{job.pk}{query}", **html)
    assert (refused.status_code, refused.json()["error"]) == (405, "method_not_allowed")
    assert refused["Content-Type"] == "application/json"


def test_an_empty_format_on_the_job_route_is_a_400(api, personas, workspace):
    # Found by the API fuzzer: DRF ignored ?format= and answered as if it were absent.
    job = Job.objects.create(kind="check_installation", workspace=workspace)
    api.force_authenticate(personas["viewer"])
    response = api.get(f"/api/v1/jobs/{job.pk}?format=")
    assert (response.status_code, list(response.json()["fields"])) == (400, ["format"])
    assert api.get(f"/api/v1/jobs/{job.pk}?format=json").json()["id"] == job.pk


def test_options_on_the_job_route_asking_for_html_is_not_a_500(api, personas, workspace):
    job = Job.objects.create(kind="check_installation", workspace=workspace)
    api.force_authenticate(personas["viewer"])
    response = api.options(f"/api/v1/jobs/{job.pk}?format=html")
    assert response.status_code == 200
    assert "data-state" not in response.content.decode()


@pytest.mark.parametrize(
    "route, params, field",
    [
        ("verification-log", {"code": "a\x00"}, "code"),
        ("verification-log", {"request_id": "a\x00"}, "request_id"),
        ("verification-log", {"limit": "abc"}, "limit"),
        ("installations", {"sort": "--name"}, "sort"),
        ("installations", {"limit": "0"}, "limit"),
        ("installations", {"offset": "-1"}, "offset"),
    ],
)
def test_bad_filters_and_pages_are_a_400_naming_the_parameter(
    api, personas, workspace, route, params, field
):
    # Found by the API fuzzer's kind of input: NUL reached PostgreSQL (a 500) and bad
    # pages or sorts were quietly replaced by the default.
    api.force_authenticate(personas["viewer"])
    response = api.get(f"/api/v1/workspaces/{workspace.app_id}/{route}/", params)
    assert (response.status_code, response.json()["error"]) == (400, "validation_error")
    assert list(response.json()["fields"]) == [field]


def test_empty_filters_mean_all_as_the_schema_says(api, personas, workspace):
    api.force_authenticate(personas["viewer"])
    response = api.get(
        f"/api/v1/workspaces/{workspace.app_id}/installations/",
        {"status": "", "platform": "", "sort": ""},
    )
    assert response.status_code == 200


def test_the_verification_log_filters(api, personas, workspace, redis_client):
    missing = send(workspace, user_id="x").json()["request_id"]
    invalid = send(workspace, user_id="y", user_hash="0" * 64).json()["request_id"]
    buffer.flush()
    folding.fold()
    api.force_authenticate(personas["viewer"])
    base = f"/api/v1/workspaces/{workspace.app_id}/verification-log/"
    rows = api.get(base).json()["results"]
    assert [r["request_id"] for r in rows] == [invalid, missing]
    assert rows[0]["identifier"] == "y"
    assert isinstance(rows[0]["diagnosis"], list)
    only = api.get(base, {"code": "missing_user_hash"}).json()["results"]
    assert [r["request_id"] for r in only] == [missing]
    found = api.get(base, {"request_id": invalid}).json()["results"]
    assert [r["request_id"] for r in found] == [invalid]
    assert api.get(base, {"code": "x" * 41}).status_code == 400


def test_the_schema_describes_the_routes(api, personas):
    api.force_authenticate(personas["viewer"])
    response = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/workspaces/{app_id}/installations/check" in paths
    assert "/api/v1/jobs/{job_id}" in paths
    assert "/api/v1/workspaces/{app_id}/verification-log/" in paths


def test_a_check_queued_in_a_transaction_that_rolls_back_never_runs(personas, workspace):
    publishing = mock.patch("installcheck.actions.check_installation.apply_async")
    with publishing as publish, pytest.raises(RuntimeError), transaction.atomic():
        start_check(workspace, actor=personas["admin"])
        raise RuntimeError("the caller fails after queueing")
    publish.assert_not_called()
    assert not Job.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_check_is_published_only_after_its_job_is_committed(personas, workspace):
    seen = []
    with (
        mock.patch(
            "installcheck.actions.check_installation.apply_async",
            side_effect=lambda args, **_: seen.append(Job.objects.filter(pk=args[0]).exists()),
        ),
        transaction.atomic(),
    ):
        job = start_check(workspace, actor=personas["admin"])
        assert seen == []  # not yet: the row is not committed
    assert seen == [True] and job.pk
