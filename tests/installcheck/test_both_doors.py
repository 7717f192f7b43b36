"""Starting the installation check through both doors: one action (start_check), one
access rule ("run_check"), the same refusal when the queue is down."""

import html
from unittest import mock

import pytest
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from installcheck.models import Job, JobState

# Committed for real: the task is published after the job's transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)

PUBLISH = "installcheck.actions.check_installation.apply_async"


def both(client, user, workspace, **headers):
    client.force_login(user)
    page = client.post(f"/w/{workspace.app_id}/installation/check/", **headers)
    api = APIClient()
    api.force_authenticate(user)
    answer = api.post(f"/api/v1/workspaces/{workspace.app_id}/installations/check")
    return page, answer


def test_viewers_are_refused_at_both_doors(client, personas, workspace):
    page, answer = both(client, personas["viewer"], workspace)
    assert page.status_code == answer.status_code == 403
    assert answer.json()["error"] == "permission_denied"
    assert not Job.objects.exists()


def test_both_doors_queue_one_job_each(client, personas, workspace):
    with mock.patch(PUBLISH) as publish:
        page, answer = both(client, personas["developer"], workspace)
    assert page.status_code == 302 and answer.status_code == 202
    jobs = list(Job.objects.order_by("pk").values_list("pk", flat=True))
    assert [call.args[0] for call in publish.call_args_list] == [(pk,) for pk in jobs]


def test_a_down_queue_is_the_same_503_at_both_doors(client, personas, workspace):
    with mock.patch(PUBLISH, side_effect=OperationalError("refused")):
        page, answer = both(client, personas["admin"], workspace, HTTP_HX_REQUEST="true")
    body = answer.json()
    assert (answer.status_code, body["error"]) == (503, "queue_unavailable")
    assert answer["Retry-After"]
    assert html.escape(body["message"]) in page.content.decode()
    assert set(Job.objects.values_list("state", flat=True)) == {JobState.FAILED}
