"""The workspace menu offers only the pages the user's role can open."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def nav_of(client, url):
    html = client.get(url).content.decode()
    return html.split('<nav class="wsnav">')[1].split("</nav>")[0]


@pytest.mark.parametrize(
    ("role", "sees_audit"), [("admin", True), ("developer", False), ("viewer", False)]
)
def test_the_audit_log_is_in_the_menu_only_for_admins(
    client, workspace, personas, role, sees_audit
):
    client.force_login(personas[role])
    nav = nav_of(client, reverse("security:overview", args=[workspace.app_id]))
    audit = reverse("workspaces:audit-log", args=[workspace.app_id])
    assert (audit in nav) is sees_audit
    assert reverse("workspaces:trusted-domains", args=[workspace.app_id]) in nav


def test_support_staff_see_only_the_audit_log_of_a_workspace(client, workspace, personas):
    client.force_login(personas["support"])
    nav = nav_of(client, reverse("workspaces:audit-log", args=[workspace.app_id]))
    assert nav.count("<a ") == 1
    assert reverse("workspaces:audit-log", args=[workspace.app_id]) in nav
