"""The hash checker: page and API, roles, validation, rate limit, audit."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from security.actions import tools as checker
from security.hashing import user_hash
from tests.factories import current_key, secret_of
from workspaces.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def api_url(workspace):
    return f"/api/v1/workspaces/{workspace.app_id}/hash-check"


def page_url(workspace):
    return reverse("security:hash-checker", kwargs={"app_id": workspace.app_id})


def post_api(client, user, workspace, **body):
    client.force_login(user)
    return client.post(api_url(workspace), body, content_type="application/json")


# --- API: roles -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "developer"])
def test_admin_and_developer_get_the_expected_hash(client, workspace, personas, role):
    response = post_api(client, personas[role], workspace, platform="web", user_id="42")
    assert response.status_code == 200
    body = response.json()
    assert body["expected_hash"] == user_hash(secret_of(workspace, "web"), "42")
    assert body["identifier_type"] == "user_id"
    assert body["match"] is None
    assert body["diagnosis"] == []


def test_viewer_gets_match_and_diagnosis_but_no_expected_hash(client, workspace, personas):
    made = user_hash(secret_of(workspace, "ios"), "42")
    response = post_api(
        client, personas["viewer"], workspace, platform="web", user_id="42", user_hash=made
    )
    body = response.json()
    assert response.status_code == 200
    assert body["expected_hash"] is None
    assert body["match"] is False
    assert [f["code"] for f in body["diagnosis"]] == ["other_platform_secret"]
    assert secret_of(workspace, "web") not in response.content.decode()


@pytest.mark.parametrize("who", ["outsider", "support"])
def test_outsider_and_support_get_404(client, workspace, personas, who):
    response = post_api(client, personas[who], workspace, platform="web", user_id="42")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_anonymous_caller_is_refused(client, workspace):
    response = client.post(api_url(workspace), {"platform": "web"}, content_type="application/json")
    assert response.status_code == 401


def test_get_is_not_allowed(client, workspace, personas):
    client.force_login(personas["admin"])
    assert client.get(api_url(workspace)).status_code == 405


# --- API: results and diagnosis -------------------------------------------------------


def test_right_hash_matches(client, workspace, personas):
    made = user_hash(secret_of(workspace, "android"), "zoë+tag@example.com")
    body = post_api(
        client,
        personas["developer"],
        workspace,
        platform="android",
        email="zoë+tag@example.com",
        user_hash=made,
    ).json()
    assert body["match"] is True
    assert body["identifier_type"] == "email"
    assert body["diagnosis"] == []


def test_email_hashed_while_user_id_sent_is_diagnosed(client, workspace, personas):
    made = user_hash(secret_of(workspace, "web"), "ann@example.com")
    body = post_api(
        client,
        personas["admin"],
        workspace,
        platform="web",
        user_id="42",
        email="ann@example.com",
        user_hash=made,
    ).json()
    assert body["match"] is False
    assert body["diagnosis"][0]["code"] == "email_hashed_instead_of_user_id"
    assert "user_id" in body["identifier_reason"]


def test_twin_secret_is_diagnosed_with_the_twin_named(client, workspace, personas):
    twin = workspace.twin
    made = user_hash(secret_of(twin, "web"), "42")
    body = post_api(
        client, personas["admin"], workspace, platform="web", user_id="42", user_hash=made
    ).json()
    assert body["diagnosis"][0]["code"] == "twin_workspace_secret"
    assert twin.app_id in body["diagnosis"][0]["message"]


def test_jwt_key_is_diagnosed(client, workspace, personas):
    kid, key = current_key(workspace)
    body = post_api(
        client,
        personas["admin"],
        workspace,
        platform="web",
        user_id="42",
        user_hash=user_hash(key, "42"),
    ).json()
    assert body["diagnosis"][0]["code"] == "jwt_key_used"
    assert kid in body["diagnosis"][0]["message"]


def test_retired_secret_is_diagnosed_as_previous(client, workspace, personas):
    from security import crypto
    from security.models import IdentitySecret, SecretState

    old = secret_of(workspace, "web")
    IdentitySecret.objects.filter(workspace=workspace, platform="web").update(
        state=SecretState.RETIRED
    )
    IdentitySecret.objects.create(
        workspace=workspace,
        platform="web",
        version=2,
        ciphertext=crypto.encrypt("new-web-secret"),
        state=SecretState.CURRENT,
    )
    body = post_api(
        client,
        personas["developer"],
        workspace,
        platform="web",
        user_id="42",
        user_hash=user_hash(old, "42"),
    ).json()
    assert body["secret_version"] == 2
    assert body["expected_hash"] == user_hash("new-web-secret", "42")
    assert [f["code"] for f in body["diagnosis"]] == ["previous_secret"]
    assert "(v1)" in body["diagnosis"][0]["message"]


def test_hash_without_identifier_is_diagnosed(client, workspace, personas):
    body = post_api(
        client, personas["viewer"], workspace, platform="web", user_hash="a" * 64
    ).json()
    assert [f["code"] for f in body["diagnosis"]] == ["identifier_missing"]


def test_identifier_whitespace_is_kept_for_the_diagnosis(client, workspace, personas):
    made = user_hash(secret_of(workspace, "web"), "42")
    body = post_api(
        client, personas["admin"], workspace, platform="web", user_id=" 42", user_hash=made
    ).json()
    assert [f["code"] for f in body["diagnosis"]] == ["surrounding_whitespace"]


# --- API: validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, field",
    [
        ({"user_id": "42"}, "platform"),
        ({"platform": "windows", "user_id": "42"}, "platform"),
        ({"platform": "web"}, "user_id"),
        ({"platform": "web", "user_id": "x" * 256}, "user_id"),
        ({"platform": "web", "email": "x" * 256}, "email"),
        ({"platform": "web", "user_id": "42", "user_hash": "a" * 257}, "user_hash"),
        ({"platform": "web", "user_id": ["42"]}, "user_id"),
        ({"platform": "web", "user_id": ""}, "user_id"),
        # Found by the API fuzzer: numbers were taken as text, and NUL is refused.
        ({"platform": "web", "user_id": "42", "user_hash": -360420}, "user_hash"),
        ({"platform": "web", "email": 42}, "email"),
        ({"platform": "web", "user_id": "4\x002"}, "user_id"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client, workspace, personas, body, field):
    response = post_api(client, personas["admin"], workspace, **body)
    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"
    assert field in response.json()["fields"]


def test_malformed_json_is_a_400(client, workspace, personas):
    client.force_login(personas["admin"])
    response = client.post(api_url(workspace), "{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


def test_longest_allowed_identifier_is_accepted(client, workspace, personas):
    body = post_api(client, personas["admin"], workspace, platform="web", user_id="é" * 255)
    assert body.status_code == 200


# --- rate limit and audit -------------------------------------------------------------


def test_checker_is_rate_limited_per_user(client, workspace, personas, monkeypatch):
    monkeypatch.setattr(checker, "RATE_LIMIT", 2)
    for _ in range(2):
        assert (
            post_api(client, personas["admin"], workspace, platform="web", user_id="1").status_code
            == 200
        )
    response = post_api(client, personas["admin"], workspace, platform="web", user_id="1")
    assert response.status_code == 429
    assert response.json()["error"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1
    # Another user has a budget of their own.
    assert (
        post_api(client, personas["developer"], workspace, platform="web", user_id="1").status_code
        == 200
    )


def test_every_use_is_audited_without_hash_or_secret(client, workspace, personas):
    made = user_hash(secret_of(workspace, "web"), "ann@example.com")
    post_api(
        client,
        personas["developer"],
        workspace,
        platform="web",
        user_id="42",
        email="ann@example.com",
        user_hash=made,
    )
    event = AuditEvent.objects.get(action="hash_checker.used")
    assert event.actor == personas["developer"]
    assert event.workspace == workspace
    assert event.after["diagnosis"] == ["email_hashed_instead_of_user_id"]
    assert event.after["match"] is False
    stored = str(event.before) + str(event.after) + event.target
    assert made not in stored
    assert secret_of(workspace, "web") not in stored
    assert "ann@example.com" not in stored


def test_rate_limited_use_is_not_audited(client, workspace, personas, monkeypatch):
    monkeypatch.setattr(checker, "RATE_LIMIT", 0)
    post_api(client, personas["admin"], workspace, platform="web", user_id="1")
    assert not AuditEvent.objects.filter(action="hash_checker.used").exists()


# --- page -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "developer", "viewer"])
def test_every_member_can_open_the_page(client, workspace, personas, role):
    client.force_login(personas[role])
    response = client.get(page_url(workspace))
    assert response.status_code == 200
    assert b"Hash checker" in response.content


@pytest.mark.parametrize("who", ["outsider", "support"])
def test_page_is_404_for_outsider_and_support(client, workspace, personas, who):
    client.force_login(personas[who])
    assert client.get(page_url(workspace)).status_code == 404


def test_page_requires_login(client, workspace):
    response = client.get(page_url(workspace))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_page_shows_expected_hash_and_diagnosis_to_admin(client, workspace, personas):
    client.force_login(personas["admin"])
    made = user_hash(secret_of(workspace, "web"), "ann@example.com")
    response = client.post(
        page_url(workspace),
        {"platform": "web", "user_id": "42", "email": "ann@example.com", "user_hash": made},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert user_hash(secret_of(workspace, "web"), "42") in html
    assert "email_hashed_instead_of_user_id" in html
    assert "no match" in html


def test_page_hides_expected_hash_from_viewer(client, workspace, personas):
    client.force_login(personas["viewer"])
    response = client.post(page_url(workspace), {"platform": "web", "user_id": "42"})
    html = response.content.decode()
    assert user_hash(secret_of(workspace, "web"), "42") not in html
    assert "not the expected hash" in html


def test_page_shows_errors_beside_the_fields(client, workspace, personas):
    client.force_login(personas["admin"])
    response = client.post(page_url(workspace), {"platform": "mars", "user_id": "x" * 256})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Select a valid choice" in html
    assert "at most 255 characters" in html
    assert not AuditEvent.objects.filter(action="hash_checker.used").exists()


def test_page_asks_for_an_identifier(client, workspace, personas):
    client.force_login(personas["admin"])
    response = client.post(page_url(workspace), {"platform": "web"})
    assert "Enter a user_id or an email" in response.content.decode()


def test_htmx_request_gets_only_the_partial(client, workspace, personas):
    client.force_login(personas["admin"])
    response = client.post(
        page_url(workspace), {"platform": "web", "user_id": "42"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="hash-check"')
    assert "<html" not in html


def test_page_says_when_rate_limited(client, workspace, personas, monkeypatch):
    monkeypatch.setattr(checker, "RATE_LIMIT", 0)
    client.force_login(personas["admin"])
    response = client.post(page_url(workspace), {"platform": "web", "user_id": "42"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "Too many checks" in response.content.decode()
