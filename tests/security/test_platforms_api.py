import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from security.actions.platforms import record_readiness, set_enforcement
from security.models import PlatformSettings
from tests.factories import PASSWORD, secret_of
from tests.security.test_overview import READINESS
from workspaces.models import ApiToken, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def api():
    return APIClient()


def list_url(ws):
    return reverse("security-api:platform-list", kwargs={"app_id": ws.app_id})


def patch_url(ws, platform="web"):
    return reverse(
        "security-api:platform-update", kwargs={"app_id": ws.app_id, "platform": platform}
    )


def reveal_url(ws, platform="web"):
    return reverse("security-api:secret-reveal", kwargs={"app_id": ws.app_id, "platform": platform})


def flags(ws, platform="web"):
    row = PlatformSettings.objects.get(workspace=ws, platform=platform)
    return row.enforced, row.hmac_allowed


@pytest.mark.parametrize("role", ["admin", "developer", "viewer"])
def test_members_list_the_platforms(api, workspace, personas, role):
    api.force_authenticate(personas[role])
    response = api.get(list_url(workspace))
    assert response.status_code == 200
    rows = {row["platform"]: row for row in response.json()}
    assert set(rows) == {"web", "ios", "android"}
    assert rows["web"]["enforced"] is False
    assert rows["web"]["hmac_allowed"] is True
    assert rows["web"]["secret_version"] == 1
    assert rows["web"]["readiness"] == {}
    assert secret_of(workspace, "web") not in response.content.decode()
    assert (rows["web"]["secret_masked"] is None) == (role == "viewer")


@pytest.mark.parametrize("role", ["outsider", "support"])
def test_non_members_get_404_for_platforms(api, workspace, personas, role):
    api.force_authenticate(personas[role])
    response = api.get(list_url(workspace))
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_anonymous_callers_are_refused(api, workspace):
    response = api.get(list_url(workspace))
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


def test_token_auth_works(api, workspace, personas):
    _, key = ApiToken.issue(personas["viewer"])
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(list_url(workspace)).status_code == 200


def test_admin_enforces_through_the_api(api, workspace, personas):
    api.force_authenticate(personas["admin"])
    response = api.patch(patch_url(workspace), {"enforced": True}, format="json")
    assert response.status_code == 200
    assert response.json()["enforced"] is True
    assert flags(workspace) == (True, True)
    assert AuditEvent.objects.filter(action="platform.enforced", target="web").exists()


@pytest.mark.parametrize("role", ["developer", "viewer"])
def test_non_admins_cannot_patch(api, workspace, personas, role):
    api.force_authenticate(personas[role])
    response = api.patch(patch_url(workspace), {"enforced": True}, format="json")
    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied"
    assert flags(workspace) == (False, True)


@pytest.mark.parametrize("role", ["outsider", "support"])
def test_non_members_cannot_patch(api, workspace, personas, role):
    api.force_authenticate(personas[role])
    assert api.patch(patch_url(workspace), {"enforced": True}, format="json").status_code == 404


def test_enforcing_with_unproven_traffic_answers_409_with_figures(api, workspace, personas):
    record_readiness(workspace.pk, "web", READINESS)
    api.force_authenticate(personas["admin"])
    response = api.patch(patch_url(workspace), {"enforced": True}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "confirmation_required"
    assert body["would_be_rejected"] == 20
    assert body["installations"][0]["name"] == "old.example.com"
    assert "message" in body
    assert flags(workspace) == (False, True)

    response = api.patch(patch_url(workspace), {"enforced": True, "confirm": True}, format="json")
    assert response.status_code == 200
    assert flags(workspace) == (True, True)


def test_turning_enforcement_off_needs_confirmation(api, workspace, personas):
    set_enforcement(workspace, "web", True, actor=personas["admin"])
    api.force_authenticate(personas["admin"])
    response = api.patch(patch_url(workspace), {"enforced": False}, format="json")
    assert response.status_code == 409
    assert response.json()["reason"] == "impersonation_risk"
    api.patch(patch_url(workspace), {"enforced": False, "confirm": True}, format="json")
    assert flags(workspace) == (False, True)


def test_refusing_hmac_in_use_needs_confirmation(api, workspace, personas):
    record_readiness(workspace.pk, "web", READINESS)
    api.force_authenticate(personas["admin"])
    response = api.patch(patch_url(workspace), {"hmac_allowed": False}, format="json")
    assert response.status_code == 409
    assert response.json()["hmac_requests"] == 80
    assert flags(workspace) == (False, True)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"enforced": "sometimes"},
        {"hmac_allowed": [1]},
        {"confirm": True},
        # Found by the API fuzzer: DRF's BooleanField took these as false/true.
        {"enforced": True, "confirm": 0},
        {"enforced": "yes"},
        {"hmac_allowed": 1},
    ],
)
def test_bad_patch_bodies_are_400(api, workspace, personas, body):
    api.force_authenticate(personas["admin"])
    response = api.patch(patch_url(workspace), body, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"


def test_a_patch_without_a_body_is_a_400(api, workspace, personas):
    # Found by the API fuzzer: the schema called the PATCH body optional.
    api.force_authenticate(personas["admin"])
    response = api.patch(patch_url(workspace))
    assert (response.status_code, response.json()["error"]) == (400, "validation_error")


def test_a_form_body_may_still_say_true(api, workspace, personas):
    api.force_authenticate(personas["admin"])
    response = api.patch(patch_url(workspace, "ios"), {"enforced": "true"}, format="multipart")
    assert response.status_code == 200
    assert response.json()["enforced"] is True


def test_unknown_platform_is_404(api, workspace, personas):
    api.force_authenticate(personas["admin"])
    response = api.patch(
        f"/api/v1/workspaces/{workspace.app_id}/platforms/tv/", {"enforced": True}, format="json"
    )
    assert response.status_code == 404


def test_reveal_with_the_password_returns_the_secret(api, workspace, personas):
    api.force_authenticate(personas["developer"])
    response = api.post(reveal_url(workspace, "android"), {"password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert response.json() == {"secret": secret_of(workspace, "android"), "version": 1}
    assert response["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action="secret.revealed", target="hmac:android:v1").exists()


def test_reveal_with_a_wrong_password_is_403(api, workspace, personas):
    api.force_authenticate(personas["admin"])
    response = api.post(reveal_url(workspace), {"password": "wrong"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"] == "wrong_password"
    assert not AuditEvent.objects.filter(action="secret.revealed").exists()


def test_reveal_without_password_is_400(api, workspace, personas):
    api.force_authenticate(personas["admin"])
    response = api.post(reveal_url(workspace), {}, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize("password", ["", 12345678, None, ["x"]])
def test_reveal_with_a_password_that_is_not_text_is_400(api, workspace, personas, password):
    api.force_authenticate(personas["admin"])
    response = api.post(reveal_url(workspace), {"password": password}, format="json")
    assert (response.status_code, response.json()["error"]) == (400, "password_required")
    assert "password" in response.json()["fields"]


def test_reveal_by_token_needs_the_password_too(api, workspace, personas):
    _, key = ApiToken.issue(personas["admin"])
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.post(reveal_url(workspace), {}, format="json").status_code == 400
    response = api.post(reveal_url(workspace), {"password": PASSWORD}, format="json")
    assert response.json()["secret"] == secret_of(workspace, "web")


def test_reveal_is_rate_limited(api, workspace, personas):
    api.force_authenticate(personas["admin"])
    for _ in range(10):
        api.post(reveal_url(workspace), {"password": "guess"}, format="json")
    response = api.post(reveal_url(workspace), {"password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert response.json()["error"] == "rate_limited"
    assert "Retry-After" in response


def test_viewer_cannot_reveal_through_the_api(api, workspace, personas):
    api.force_authenticate(personas["viewer"])
    response = api.post(reveal_url(workspace), {"password": PASSWORD}, format="json")
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["outsider", "support"])
def test_non_members_cannot_reveal_through_the_api(api, workspace, personas, role):
    api.force_authenticate(personas[role])
    response = api.post(reveal_url(workspace), {"password": PASSWORD}, format="json")
    assert response.status_code == 404
    assert "secret" not in response.json()


def test_schema_and_docs_need_a_login(client, personas):
    assert client.get("/api/schema/").status_code == 401
    assert client.get("/api/docs/").status_code == 401
    client.force_login(personas["viewer"])
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/workspaces/{app_id}/platforms/" in schema.content
    assert client.get("/api/docs/").status_code == 200
