"""Rotation notices reach the workspace's admins through SMTP, after the change commits,
and a notice that cannot be sent is logged and retried, never dropped silently."""

import logging

import pytest

from security.actions import secret_rotation as rotation
from tests.factories import secret_of
from tests.security.test_secret_rotation import open_gap
from tests.smtp import point_django_at
from tests.workspaces.test_mail import closed_port
from workspaces.mail import MailNotSent

pytestmark = pytest.mark.django_db


def test_a_rotation_notice_arrives_through_smtp(
    smtp_server, workspace, personas, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = open_gap(workspace, personas)
    with django_capture_on_commit_callbacks(execute=True):
        rotation.rotate(request.pk, actor=personas["support"])

    assert [m.envelope_to for m in smtp_server.messages] == [[personas["admin"].email]] * 2
    assert "rotated" in smtp_server.messages[-1]["Subject"].lower()
    for message in smtp_server.messages:
        assert secret_of(workspace, "web") not in message.get_content()


def test_no_notice_leaves_before_the_change_commits(
    smtp_server, workspace, personas, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        open_gap(workspace, personas)
    assert callbacks and smtp_server.messages == []


def test_a_notice_the_server_refuses_is_logged_with_the_domain_and_retried(
    settings, workspace, personas, django_capture_on_commit_callbacks, caplog
):
    point_django_at(settings, closed_port())
    caplog.set_level(logging.WARNING, logger="verity.mail")
    with (
        pytest.raises(MailNotSent, match="to a recipient at example.test"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        open_gap(workspace, personas)
    failures = [r.getMessage() for r in caplog.records if r.name == "verity.mail"]
    assert len(failures) > 1  # retried
    assert all("example.test" in f and personas["admin"].email not in f for f in failures)
