"""The home page (workspace picker) and where each kind of user lands."""

import pytest
from django.urls import reverse

from workspaces.actions import add_member

pytestmark = pytest.mark.django_db


def test_support_staff_without_a_workspace_land_on_the_support_console(client, personas):
    client.force_login(personas["support"])
    response = client.get(reverse("workspaces:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("security:support-home")


def test_support_staff_who_are_also_members_keep_the_picker_and_a_link(client, workspace, personas):
    add_member(workspace, personas["support"], "viewer")
    client.force_login(personas["support"])
    response = client.get(reverse("workspaces:home"))
    assert response.status_code == 200
    assert f'href="{reverse("security:support-home")}"' in response.content.decode()


def test_every_page_links_support_staff_to_their_console(client, personas):
    client.force_login(personas["support"])
    page = client.get(reverse("security:support-home")).content.decode()
    assert 'data-testid="support-link"' in page
    assert 'href="/support/"' in page


@pytest.mark.parametrize("role", ["admin", "developer", "viewer", "outsider"])
def test_others_see_no_support_link_and_stay_home(client, personas, role):
    client.force_login(personas[role])
    response = client.get(reverse("workspaces:home"))
    assert response.status_code == 200
    assert 'data-testid="support-link"' not in response.content.decode()
