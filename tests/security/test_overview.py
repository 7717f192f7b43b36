import pytest
from django.urls import reverse

from security import crypto
from security.actions.platforms import record_readiness, set_enforcement
from security.models import PlatformSettings
from tests.factories import secret_of
from workspaces.models import AuditEvent

pytestmark = pytest.mark.django_db

READINESS = {
    "computed_at": "2025-01-01T00:00:00Z",
    "window_days": 7,
    "identified": 120,
    "verified": 100,
    "share": 100 / 120,
    "by_method": {"hmac": 80, "jwt": 20},
    "installations": [
        {
            "name": "shop.example.com",
            "identified": 100,
            "verified": 100,
            "failed": 0,
            "top_reason": None,
        },
        {
            "name": "old.example.com",
            "identified": 20,
            "verified": 0,
            "failed": 20,
            "top_reason": "missing_user_hash",
        },
    ],
    "versions": [{"app_version": "5.2.0", "identified": 120, "verified": 100}],
    "proofs": [{"reference": "hmac:web:v1", "count": 80, "last_used": "2025-01-01"}],
}


def overview_url(workspace):
    return reverse("security:overview", kwargs={"app_id": workspace.app_id})


def change_url(workspace, platform="web"):
    return reverse(
        "security:platform-change", kwargs={"app_id": workspace.app_id, "platform": platform}
    )


def settings_of(workspace, platform="web"):
    return PlatformSettings.objects.get(workspace=workspace, platform=platform)


@pytest.mark.parametrize("role", ["admin", "developer", "viewer"])
def test_members_see_one_card_per_platform(client, workspace, personas, role):
    client.force_login(personas[role])
    response = client.get(overview_url(workspace))
    assert response.status_code == 200
    html = response.content.decode()
    for platform in ("web", "ios", "android"):
        assert f'data-testid="platform-{platform}"' in html
    assert "No traffic yet" in html


@pytest.mark.parametrize("role", ["outsider", "support"])
def test_non_members_get_404_on_the_overview(client, workspace, personas, role):
    client.force_login(personas[role])
    assert client.get(overview_url(workspace)).status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, workspace):
    response = client.get(overview_url(workspace))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("workspaces:login"))


def test_secret_is_masked_and_never_in_the_html(client, workspace, personas):
    client.force_login(personas["admin"])
    html = client.get(overview_url(workspace)).content.decode()
    secret = secret_of(workspace, "web")
    assert secret not in html
    assert crypto.mask(secret) in html


def test_viewer_sees_no_masked_secret_and_disabled_toggles(client, workspace, personas):
    client.force_login(personas["viewer"])
    html = client.get(overview_url(workspace)).content.decode()
    assert crypto.mask(secret_of(workspace, "web")) not in html
    assert 'data-testid="reveal-web"' not in html
    assert "Only workspace admins can change this." in html
    assert html.count("disabled") >= 6


def test_readiness_figures_are_shown(client, workspace, personas):
    record_readiness(workspace.pk, "web", READINESS)
    client.force_login(personas["developer"])
    html = client.get(overview_url(workspace)).content.decode()
    assert "83.3%" in html
    assert "old.example.com" in html
    assert "missing_user_hash" in html
    assert "hmac:web:v1" in html


def test_a_proof_with_no_verified_request_shows_no_last_used_time(client, workspace, personas):
    proofs = [
        {"reference": "hmac:web:v1", "count": 80, "last_used": "2025-01-01T10:00:00+00:00"},
        {"reference": "jwt:mk_idle", "count": 0, "last_used": "2025-01-01T09:00:00+00:00"},
    ]
    record_readiness(workspace.pk, "web", {**READINESS, "proofs": proofs})
    client.force_login(personas["viewer"])
    html = client.get(overview_url(workspace)).content.decode()
    idle = html.split('data-testid="last-used-jwt:mk_idle">')[1].split("</td>")[0]
    assert "09:00" not in idle
    assert "none in 7 days" in idle
    used = html.split('data-testid="last-used-hmac:web:v1">')[1].split("</td>")[0]
    assert "10:00" in used


@pytest.mark.parametrize("role", ["developer", "viewer"])
def test_non_admins_cannot_enforce(client, workspace, personas, role):
    client.force_login(personas[role])
    response = client.post(change_url(workspace), {"flag": "enforced", "value": "on"})
    assert response.status_code == 403
    assert not settings_of(workspace).enforced


def test_outsider_cannot_enforce(client, workspace, personas):
    client.force_login(personas["outsider"])
    response = client.post(change_url(workspace), {"flag": "enforced", "value": "on"})
    assert response.status_code == 404


def test_admin_enforces_at_once_when_there_is_no_traffic(client, workspace, personas):
    client.force_login(personas["admin"])
    response = client.post(change_url(workspace), {"flag": "enforced", "value": "on"})
    assert response.status_code == 302
    assert settings_of(workspace).enforced
    event = AuditEvent.objects.get(action="platform.enforced")
    assert (event.before, event.after, event.target) == (
        {"enforced": False},
        {"enforced": True},
        "web",
    )
    assert event.ip == "127.0.0.1"


def test_enforcing_with_unproven_traffic_asks_for_confirmation(client, workspace, personas):
    record_readiness(workspace.pk, "web", READINESS)
    client.force_login(personas["admin"])
    response = client.post(change_url(workspace), {"flag": "enforced", "value": "on"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "20 of 120 identified Web requests" in html
    assert "old.example.com" in html
    assert not settings_of(workspace).enforced

    client.post(change_url(workspace), {"flag": "enforced", "value": "on", "confirm": "on"})
    assert settings_of(workspace).enforced


def test_turning_enforcement_off_warns_about_impersonation(client, workspace, personas):
    set_enforcement(workspace, "ios", True, actor=personas["admin"])
    client.force_login(personas["admin"])
    response = client.post(change_url(workspace, "ios"), {"flag": "enforced", "value": "off"})
    assert "anybody can claim to be any of your iOS users" in response.content.decode()
    assert settings_of(workspace, "ios").enforced
    client.post(change_url(workspace, "ios"), {"flag": "enforced", "value": "off", "confirm": "on"})
    assert not settings_of(workspace, "ios").enforced


def test_refusing_hmac_while_in_use_asks_for_confirmation(client, workspace, personas):
    record_readiness(workspace.pk, "web", READINESS)
    client.force_login(personas["admin"])
    response = client.post(change_url(workspace), {"flag": "hmac_allowed", "value": "off"})
    assert "80 verified Web requests" in response.content.decode()
    assert settings_of(workspace).hmac_allowed
    client.post(change_url(workspace), {"flag": "hmac_allowed", "value": "off", "confirm": "on"})
    assert not settings_of(workspace).hmac_allowed
    assert AuditEvent.objects.filter(action="platform.hmac_allowed").exists()


def test_refusing_hmac_without_hmac_traffic_needs_no_confirmation(client, workspace, personas):
    client.force_login(personas["admin"])
    client.post(change_url(workspace), {"flag": "hmac_allowed", "value": "off"})
    assert not settings_of(workspace).hmac_allowed


def test_garbage_change_is_refused_with_a_message(client, workspace, personas):
    client.force_login(personas["admin"])
    response = client.post(change_url(workspace), {"flag": "secret", "value": "maybe"}, follow=True)
    assert response.status_code == 200
    assert "nothing was changed" in response.content.decode()


def test_unknown_platform_is_404(client, workspace, personas):
    client.force_login(personas["admin"])
    response = client.post(
        f"/w/{workspace.app_id}/security/windows/change", {"flag": "enforced", "value": "on"}
    )
    assert response.status_code == 404


def test_header_offers_the_same_page_of_the_twin(client, workspace, personas):
    from workspaces.actions import add_member

    add_member(workspace.twin, personas["admin"], "admin")
    client.force_login(personas["admin"])
    html = client.get(overview_url(workspace)).content.decode()
    assert f'href="{overview_url(workspace.twin)}"' in html
    twin_html = client.get(overview_url(workspace.twin)).content.decode()
    assert "[TEST] Acme" in twin_html
    assert f'href="{overview_url(workspace)}"' in twin_html


def test_every_member_gets_the_twin_switch(client, workspace, personas):
    # A workspace and its twin share one member list: a viewer of one is a viewer of both.
    client.force_login(personas["viewer"])
    html = client.get(overview_url(workspace)).content.decode()
    assert f'href="{overview_url(workspace.twin)}"' in html


def test_no_twin_switch_without_a_twin(client, personas):
    from tests.factories import make_workspace
    from workspaces.actions import add_member

    solo = make_workspace("Solo", with_test_twin=False)
    add_member(solo, personas["viewer"], "viewer")
    client.force_login(personas["viewer"])
    html = client.get(overview_url(solo)).content.decode()
    assert 'data-testid="twin-switch"' not in html


def test_overview_query_count_is_bounded(
    client, workspace, personas, django_assert_max_num_queries
):
    client.force_login(personas["admin"])
    with django_assert_max_num_queries(15):
        client.get(overview_url(workspace))
