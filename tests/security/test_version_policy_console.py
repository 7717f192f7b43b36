"""The security overview's app-version policy: shown on each card, changed by admins only
(the confirmation and the refusals are in test_both_doors.py)."""

from datetime import UTC, datetime

import pytest

from security.actions.platforms import set_version_policy
from security.models import PlatformSettings

pytestmark = pytest.mark.django_db


def overview(client, user, workspace):
    client.force_login(user)
    return client.get(f"/w/{workspace.app_id}/security/").content.decode()


def test_the_card_shows_the_policy_and_an_admin_gets_the_form(client, workspace, personas):
    sunset = datetime(2030, 3, 1, tzinfo=UTC)
    set_version_policy(workspace, "ios", "5.2.0", sunset, actor=None)
    page = overview(client, personas["admin"], workspace)
    assert "From version <code>5.2.0</code> on (once enforced)" in page
    assert "until 2030-03-01 00:00 UTC" in page
    assert 'data-testid="save-version-policy-ios"' in page
    assert 'value="5.2.0"' in page and 'value="2030-03-01T00:00"' in page


@pytest.mark.parametrize("role", ["developer", "viewer"])
def test_other_roles_see_the_policy_without_the_form(client, workspace, personas, role):
    page = overview(client, personas[role], workspace)
    assert "Every version is treated alike." in page
    assert "save-version-policy" not in page


def test_an_outsider_cannot_post_a_policy(client, workspace, personas):
    client.force_login(personas["outsider"])
    url = f"/w/{workspace.app_id}/security/ios/version-policy"
    assert client.post(url, {"enforce_from_version": "5.2.0"}).status_code == 404
    assert client.get(url).status_code == 405


def test_an_admin_saves_and_clears_the_policy_without_traffic(client, workspace, personas):
    client.force_login(personas["admin"])
    url = f"/w/{workspace.app_id}/security/ios/version-policy"
    client.post(url, {"enforce_from_version": "5.2.0", "sunset_at": ""})
    row = PlatformSettings.objects.get(workspace=workspace, platform="ios")
    assert (row.enforce_from_version, row.sunset_at) == ("5.2.0", None)
    client.post(url, {"enforce_from_version": "", "sunset_at": ""})
    row.refresh_from_db()
    assert row.enforce_from_version is None
