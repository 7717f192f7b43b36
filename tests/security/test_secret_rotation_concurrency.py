"""Races on PostgreSQL: exactly one of two conflicting clicks wins."""

import threading

import pytest
from django.db import connection

from security.actions import secret_rotation as rotation
from security.actions.platforms import set_enforcement
from security.models import IdentitySecret, RotationMode
from tests.factories import make_user, make_workspace
from workspaces.refusals import Refused


def race(*actions):
    """Run the actions at the same time; return what each returned or raised."""
    barrier = threading.Barrier(len(actions))
    results = [None] * len(actions)

    def run(n, action):
        barrier.wait()
        try:
            results[n] = action()
        except Exception as exc:
            results[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, a)) for n, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.fixture
def setup(transactional_db, postgres):
    workspace = make_workspace("Race")
    support, admin = make_user("sup"), make_user("adm")
    return workspace, support, admin


def test_two_rotates_rotate_once(setup):
    workspace, support, _ = setup
    request = rotation.open_request(
        workspace, "web", mode=RotationMode.GAP, reason="routine", ticket="R", actor=support
    )
    results = race(
        lambda: rotation.rotate(request.pk, actor=support),
        lambda: rotation.rotate(request.pk, actor=support),
    )
    conflicts = [r for r in results if isinstance(r, Refused)]
    assert len(conflicts) == 1, results
    assert IdentitySecret.objects.filter(workspace=workspace, platform="web").count() == 2


def test_rotate_racing_re_enable_has_exactly_one_winner(setup):
    workspace, support, admin = setup
    set_enforcement(workspace, "web", True, actor=admin)
    request = rotation.open_request(
        workspace, "web", mode=RotationMode.GAP, reason="routine", ticket="R", actor=support
    )
    set_enforcement(workspace, "web", False, actor=admin)
    results = race(
        lambda: rotation.rotate(request.pk, actor=support),
        lambda: set_enforcement(workspace, "web", True, actor=admin),
    )
    conflicts = [r for r in results if isinstance(r, Refused)]
    assert len(conflicts) == 1, results
    request.refresh_from_db()
    rotated = IdentitySecret.objects.filter(workspace=workspace, platform="web").count() == 2
    enforced = workspace.platforms.get(platform="web").enforced
    # Either support rotated (and enforcement stayed off) or the admin re-enabled first.
    assert rotated != enforced
