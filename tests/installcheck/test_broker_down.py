"""The broker (Redis) down when a user asks for a job: a real server process whose broker
address answers nothing gives the user a clear error within a bounded time, and the
attempt stays visible as a failed job. (test_installation_api.py covers the same answer
with a mocked publish; this is the real network path.)"""

import json
import urllib.error
import urllib.request

import pytest

from installcheck.models import Job
from tests.installcheck.test_gateway_processes import (  # noqa: F401 (fixture)
    free_port,
    gateways,
)
from workspaces.models import ApiToken

pytestmark = pytest.mark.slow

# The user's answer must come well before a browser or proxy gives up.
ANSWER_DEADLINE = 30


def test_a_down_broker_is_a_clear_503_within_a_bound_and_a_failed_job(
    gateways,  # noqa: F811
    workspace,
    personas,
):
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    server = gateways("broker-down", REDIS_URL=dead)
    _, key = ApiToken.issue(personas["admin"])
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}/api/v1/workspaces/{workspace.app_id}/installations/check",
        data=b"{}",
        headers={"Content-Type": "application/json", "Authorization": f"Token {key}"},
        method="POST",
    )

    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=ANSWER_DEADLINE)  # noqa: S310

    assert answer.value.code == 503
    body = json.loads(answer.value.read())
    assert body["error"] == "queue_unavailable"
    assert "queue is unavailable" in body["message"]
    job = Job.objects.get(workspace=workspace)
    assert job.state == "failed"
    assert "queue is unavailable" in job.error
    assert "Traceback" not in server.log()
