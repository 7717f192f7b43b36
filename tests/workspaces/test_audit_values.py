"""The audit log shows before/after values as a person reads them, never Python's repr."""

import pytest
from django.urls import reverse

from workspaces.actions import record_audit
from workspaces.templatetags.verity import readable

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "–"),
        (True, "yes"),
        (False, "no"),
        ([], "(none)"),
        (["app.acme.test", "shop.acme.test"], "app.acme.test, shop.acme.test"),
        ({"need": "admin", "status": 403}, '{"need": "admin", "status": 403}'),
        ([{"a": None}], '[{"a": null}]'),
        (24, "24"),
        ("web", "web"),
    ],
)
def test_values_read_as_words_or_json(value, shown):
    assert readable(value) == shown


def test_the_audit_log_shows_no_python_values(client, workspace, personas):
    record_audit(
        "test.changed",
        actor=personas["admin"],
        workspace=workspace,
        before={"domains": [], "enforced": False, "note": None},
        after={"domains": ["app.acme.test"], "enforced": True, "limits": {"a": None}},
    )
    client.force_login(personas["admin"])
    html = client.get(reverse("workspaces:audit-log", args=[workspace.app_id])).content.decode()
    table = html.split('data-testid="audit-table"')[1]
    for python in ("[&#x27;", "False", "None", "True", "{&#x27;"):
        assert python not in table
    assert "app.acme.test" in table
    assert "&quot;a&quot;: null" in table
