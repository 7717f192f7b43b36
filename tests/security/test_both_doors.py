"""Both doors, one action: for each security workflow the console and the API call the
same action, answer with the same refusal (code, status, message) and leave the same
audit row. Workspace A is driven through the console, its copy B through the API."""

import html
from unittest import mock

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from security.actions import platforms, secret_rotation, tools
from security.actions.jwt_keys import revoke_messenger_key, rotate_messenger_key
from security.actions.platforms import record_readiness, set_enforcement
from security.models import RotationMode
from tests.factories import PASSWORD, current_key, give_totp, make_user, make_workspace
from workspaces.actions import add_member, grant_support
from workspaces.models import AuditEvent

pytestmark = pytest.mark.django_db

UNPROVEN = {
    "window_days": 7,
    "identified": 10,
    "verified": 4,
    "share": 0.4,
    "by_method": {"hmac": 4, "jwt": 0},
    "installations": [{"name": "old.example.com", "identified": 10, "verified": 4, "failed": 6}],
}


@pytest.fixture(autouse=True)
def _private_cache(settings):
    # Rate-limit counters are keyed by user id: keep them out of the shared test Redis.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


@pytest.fixture
def people(db):
    return {role: make_user(f"both-{role}") for role in ("admin", "developer", "viewer")}


@pytest.fixture
def pair(people):
    """Two workspaces in the same state, with the same members."""
    spaces = [make_workspace("Door A"), make_workspace("Door B")]
    for workspace in spaces:
        for role, user in people.items():
            add_member(workspace, user, role)
    return spaces


def console(user):
    client = Client()
    client.force_login(user)
    return client


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def audit(workspace, action):
    """What an audit row says, without where and when."""
    return [
        (e.action, e.target, e.before, e.after, e.actor_label)
        for e in AuditEvent.objects.filter(workspace=workspace, action=action).order_by("id")
    ]


def shown(response, message):
    return html.escape(message) in response.content.decode()


# ---- platform flags -------------------------------------------------------------------


@pytest.mark.parametrize(
    "flag, value, readiness, before",
    [
        ("enforced", True, UNPROVEN, False),
        ("enforced", False, {}, True),
        ("hmac_allowed", False, UNPROVEN, True),
    ],
)
def test_a_platform_change_is_confirmed_and_audited_alike(
    pair, people, flag, value, readiness, before
):
    a, b = pair
    for workspace in pair:
        record_readiness(workspace.pk, "web", readiness)
        if flag == "enforced" and before:
            set_enforcement(workspace, "web", True, actor=people["admin"])
    form = {"flag": flag, "value": "on" if value else "off"}
    with (
        mock.patch(
            "security.views.overview.change_platform", wraps=platforms.change_platform
        ) as console_door,
        mock.patch(
            "security.api.platforms.change_platform", wraps=platforms.change_platform
        ) as api_door,
    ):
        page = console(people["admin"]).post(f"/w/{a.app_id}/security/web/change", form)
        answer = api(people["admin"]).patch(
            f"/api/v1/workspaces/{b.app_id}/platforms/web/", {flag: value}, format="json"
        )
    # Both doors asked the one action, which locks the row and judges the confirmation.
    assert console_door.call_count == api_door.call_count == 1
    refusal = answer.json()
    assert (answer.status_code, refusal["error"]) == (409, "confirmation_required")
    assert page.status_code == 200 and 'data-testid="confirmation"' in page.content.decode()
    assert shown(page, refusal["message"])
    # Confirmed, the change is made and audited alike.
    console(people["admin"]).post(f"/w/{a.app_id}/security/web/change", {**form, "confirm": "on"})
    api(people["admin"]).patch(
        f"/api/v1/workspaces/{b.app_id}/platforms/web/", {flag: value, "confirm": True}, "json"
    )
    assert audit(a, f"platform.{flag}")[-1] == audit(b, f"platform.{flag}")[-1]
    assert audit(a, f"platform.{flag}")[-1][3] == {flag: value}


VERSIONED = {
    "window_days": 7,
    "identified": 100,
    "verified": 60,
    "versions": [
        {"app_version": "5.2.0", "identified": 60, "verified": 60},
        {"app_version": "5.1.0", "identified": 30, "verified": 0},
        {"app_version": "", "identified": 10, "verified": 0},
    ],
}
SUNSET = "2030-03-01T00:00"


def test_a_version_policy_is_confirmed_and_audited_alike(pair, people):
    a, b = pair
    for workspace in pair:
        record_readiness(workspace.pk, "ios", VERSIONED)
        set_enforcement(workspace, "ios", True, actor=people["admin"])
    form = {"enforce_from_version": "5.2.0", "sunset_at": SUNSET}
    body = {"enforce_from_version": "5.2.0", "sunset_at": SUNSET + ":00Z"}
    console_url = f"/w/{a.app_id}/security/ios/version-policy"
    api_url = f"/api/v1/workspaces/{b.app_id}/platforms/ios/"
    with (
        mock.patch(
            "security.views.overview.change_platform", wraps=platforms.change_platform
        ) as console_door,
        mock.patch(
            "security.api.platforms.change_platform", wraps=platforms.change_platform
        ) as api_door,
    ):
        page = console(people["admin"]).post(console_url, form)
        answer = api(people["admin"]).patch(api_url, body, format="json")
    assert console_door.call_count == api_door.call_count == 1
    refusal = answer.json()
    assert (answer.status_code, refusal["reason"]) == (409, "version_policy_rejects")
    assert page.status_code == 200 and 'data-testid="confirmation"' in page.content.decode()
    assert shown(page, refusal["message"])
    # The confirmation page sends the same values back, confirmed.
    confirmed = console(people["admin"]).post(console_url, {**form, "confirm": "on"}, follow=True)
    assert shown(confirmed, "iOS now enforces from app version 5.2.0 on.")
    assert shown(confirmed, "From version ")
    api(people["admin"]).patch(api_url, {**body, "confirm": True}, format="json")
    for action in ("platform.enforce_from_version", "platform.sunset_at"):
        assert audit(a, action) == audit(b, action) and len(audit(a, action)) == 1
    assert audit(a, "platform.sunset_at")[0][3] == {"sunset_at": "2030-03-01T00:00:00+00:00"}


@pytest.mark.parametrize(
    "form, field",
    [
        ({"enforce_from_version": "5.2.x"}, "enforce_from_version"),
        ({"enforce_from_version": "5.2.0", "sunset_at": "2020-01-01T00:00"}, "sunset_at"),
    ],
)
def test_a_bad_version_policy_is_refused_alike(pair, people, form, field):
    a, b = pair
    body = {**form}
    if "sunset_at" in body:
        body["sunset_at"] += ":00Z"
    page = console(people["admin"]).post(
        f"/w/{a.app_id}/security/ios/version-policy", form, follow=True
    )
    answer = api(people["admin"]).patch(
        f"/api/v1/workspaces/{b.app_id}/platforms/ios/", body, format="json"
    )
    assert answer.status_code == 400
    (message,) = answer.json()["fields"][field]
    assert shown(page, message)
    assert not audit(a, f"platform.{field}") and not audit(b, f"platform.{field}")


def test_a_sunset_without_a_minimum_is_refused_alike(pair, people):
    a, b = pair
    page = console(people["admin"]).post(
        f"/w/{a.app_id}/security/ios/version-policy", {"sunset_at": SUNSET}, follow=True
    )
    answer = api(people["admin"]).patch(
        f"/api/v1/workspaces/{b.app_id}/platforms/ios/",
        {"sunset_at": SUNSET + ":00Z"},
        format="json",
    )
    assert (answer.status_code, answer.json()["error"]) == (409, "sunset_without_minimum")
    assert shown(page, answer.json()["message"])


@pytest.mark.parametrize("role", ["developer", "viewer"])
def test_only_admins_change_the_version_policy_at_either_door(pair, people, role):
    a, b = pair
    page = console(people[role]).post(
        f"/w/{a.app_id}/security/ios/version-policy", {"enforce_from_version": "5.2.0"}
    )
    answer = api(people[role]).patch(
        f"/api/v1/workspaces/{b.app_id}/platforms/ios/",
        {"enforce_from_version": "5.2.0"},
        format="json",
    )
    assert page.status_code == answer.status_code == 403


def test_a_rotation_in_the_way_refuses_enforcement_alike(pair, people):
    support = make_user("both-support")
    grant_support(support)
    give_totp(support)  # support needs a second factor
    for workspace in pair:
        request = secret_rotation.open_request(
            workspace, "web", mode=RotationMode.GAP, reason="routine", ticket="T-1", actor=support
        )
        secret_rotation.rotate(request.pk, actor=support)
    a, b = pair
    form = {"flag": "enforced", "value": "on", "confirm": "on"}
    page = console(people["admin"]).post(f"/w/{a.app_id}/security/web/change", form, follow=True)
    answer = api(people["admin"]).patch(
        f"/api/v1/workspaces/{b.app_id}/platforms/web/",
        {"enforced": True, "confirm": True},
        format="json",
    )
    assert (answer.status_code, answer.json()["error"]) == (409, "secret_not_viewed")
    assert shown(page, answer.json()["message"])


# ---- reveals --------------------------------------------------------------------------


def test_a_wrong_password_is_refused_and_audited_alike(pair, people):
    a, b = pair
    page = console(people["developer"]).post(
        f"/w/{a.app_id}/security/web/reveal", {"password": "guess"}
    )
    answer = api(people["developer"]).post(
        f"/api/v1/workspaces/{b.app_id}/platforms/web/secret/reveal",
        {"password": "guess"},
        format="json",
    )
    assert (answer.status_code, answer.json()["error"]) == (403, "wrong_password")
    assert page.status_code == 403 and shown(page, answer.json()["message"])
    assert audit(a, "secret.reveal_refused") == audit(b, "secret.reveal_refused") != []


def test_a_secret_is_revealed_and_audited_alike(pair, people):
    a, b = pair
    page = console(people["developer"]).post(
        f"/w/{a.app_id}/security/web/reveal", {"password": PASSWORD}
    )
    answer = api(people["developer"]).post(
        f"/api/v1/workspaces/{b.app_id}/platforms/web/secret/reveal",
        {"password": PASSWORD},
        format="json",
    )
    assert page.status_code == answer.status_code == 200
    assert "no-store" in page["Cache-Control"] and answer["Cache-Control"] == "no-store"
    assert audit(a, "secret.revealed") == audit(b, "secret.revealed") != []


def test_password_guessing_is_throttled_alike_across_secrets_and_keys(pair, people):
    a, b = pair
    user = people["admin"]
    for _ in range(10):
        console(user).post(f"/w/{a.app_id}/security/web/reveal", {"password": "guess"})
    page = console(user).post(
        f"/w/{a.app_id}/jwt/{current_key(a)[0]}/reveal", {"password": PASSWORD}
    )
    answer = api(user).post(
        f"/api/v1/workspaces/{b.app_id}/jwt-keys/{current_key(b)[0]}/reveal",
        {"password": PASSWORD},
        "json",
    )
    assert (answer.status_code, answer.json()["error"]) == (429, "rate_limited")
    assert page.status_code == 429 and int(page["Retry-After"]) > 0
    assert int(answer["Retry-After"]) > 0 and answer.json()["retry_after"] > 0


def test_an_unknown_or_revoked_key_is_refused_before_any_password(pair, people):
    a, b = pair
    page = console(people["admin"]).get(f"/w/{a.app_id}/jwt/mk_nothere/reveal", follow=True)
    answer = api(people["admin"]).post(f"/api/v1/workspaces/{b.app_id}/jwt-keys/mk_nothere/reveal")
    assert (answer.status_code, answer.json()["error"]) == (404, "unknown_key")
    assert shown(page, answer.json()["message"])
    for workspace in pair:
        old, _ = current_key(workspace)
        rotate_messenger_key(workspace, grace_hours=1, actor=people["admin"])
        revoke_messenger_key(workspace, old, actor=people["admin"])
    page = console(people["admin"]).get(f"/w/{a.app_id}/jwt/{current_key(a)[0]}/reveal")
    assert page.status_code == 200  # the current key: the password is asked for
    revoked_a = audit(a, "jwt_key.revoked")[0][1]
    revoked_b = audit(b, "jwt_key.revoked")[0][1]
    page = console(people["admin"]).get(f"/w/{a.app_id}/jwt/{revoked_a}/reveal", follow=True)
    answer = api(people["admin"]).post(
        f"/api/v1/workspaces/{b.app_id}/jwt-keys/{revoked_b}/reveal", {}, format="json"
    )
    assert (answer.status_code, answer.json()["error"]) == (409, "key_revoked")
    assert shown(page, answer.json()["message"].replace(revoked_b, revoked_a))


# ---- messenger keys -----------------------------------------------------------------------


def test_rotating_with_a_key_in_grace_is_refused_alike(pair, people):
    for workspace in pair:
        rotate_messenger_key(workspace, grace_hours=24, actor=people["admin"])
    a, b = pair
    page = console(people["admin"]).post(f"/w/{a.app_id}/jwt/rotate", {"grace_hours": "24"})
    answer = api(people["admin"]).post(
        f"/api/v1/workspaces/{b.app_id}/jwt-keys/rotate", {"grace_hours": 24}, format="json"
    )
    assert (answer.status_code, answer.json()["error"]) == (409, "older_key_in_grace")
    assert page.status_code == 409 and shown(page, answer.json()["message"])
    # Both doors call the action through its module: one spy sees both calls.
    with mock.patch(
        "security.actions.jwt_keys.rotate_messenger_key", wraps=rotate_messenger_key
    ) as action:
        console(people["admin"]).post(
            f"/w/{a.app_id}/jwt/rotate", {"grace_hours": "2", "older_key": "end_now"}
        )
        api(people["admin"]).post(
            f"/api/v1/workspaces/{b.app_id}/jwt-keys/rotate",
            {"grace_hours": 2, "older_key": "end_now"},
            format="json",
        )
    assert action.call_count == 2
    rows = [audit(w, "jwt_key.rotated")[-1][3] for w in pair]
    assert [(r["grace_hours"], r["older_key"], len(r["grace_ended"])) for r in rows] == [
        (2, "end_now", 1),
        (2, "end_now", 1),
    ]


def test_the_current_key_cannot_be_revoked_at_either_door(pair, people):
    a, b = pair
    page = console(people["admin"]).post(
        f"/w/{a.app_id}/jwt/{current_key(a)[0]}/revoke", follow=True
    )
    answer = api(people["admin"]).post(
        f"/api/v1/workspaces/{b.app_id}/jwt-keys/{current_key(b)[0]}/revoke"
    )
    assert (answer.status_code, answer.json()["error"]) == (409, "current_key")
    assert shown(page, answer.json()["message"])
    assert not AuditEvent.objects.filter(action="jwt_key.revoked").exists()


# ---- tools ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "limit, console_path, form, api_path, body",
    [
        (
            "RATE_LIMIT",
            "/w/{app}/hash-checker/",
            {"platform": "web", "user_id": "42"},
            "/api/v1/workspaces/{app}/hash-check",
            {"platform": "web", "user_id": "42"},
        ),
        (
            "DEBUG_RATE_LIMIT",
            "/w/{app}/jwt/debugger/",
            {"token": "a.b.c"},
            "/api/v1/workspaces/{app}/jwt-debug",
            {"token": "a.b.c"},
        ),
    ],
)
def test_the_tools_are_throttled_alike(
    monkeypatch, pair, people, limit, console_path, form, api_path, body
):
    monkeypatch.setattr(tools, limit, 0)
    a, b = pair
    page = console(people["viewer"]).post(console_path.format(app=a.app_id), form)
    answer = api(people["viewer"]).post(api_path.format(app=b.app_id), body, format="json")
    assert (answer.status_code, answer.json()["error"]) == (429, "rate_limited")
    assert page.status_code == 429
    # The same window: the two answers are a moment apart, so a second may tick between.
    assert abs(int(page["Retry-After"]) - int(answer["Retry-After"])) <= 1


def test_a_checker_whose_rate_limiter_is_down_refuses_with_503_at_both_doors(pair, people):
    a, b = pair
    down = mock.patch("security.ratelimit.hit", side_effect=ConnectionError("redis down"))
    with down:
        page = console(people["viewer"]).post(
            f"/w/{a.app_id}/hash-checker/", {"platform": "web", "user_id": "42"}
        )
        answer = api(people["viewer"]).post(
            f"/api/v1/workspaces/{b.app_id}/hash-check",
            {"platform": "web", "user_id": "42"},
            format="json",
        )
    assert (answer.status_code, answer.json()["error"]) == (503, "service_unavailable")
    assert answer["Retry-After"] and page["Retry-After"] == answer["Retry-After"]
    assert page.status_code == 503 and shown(page, answer.json()["message"])
    assert not AuditEvent.objects.filter(action="hash_checker.used").exists()


# ---- support rotation ------------------------------------------------------------------------


def test_support_is_refused_alike_at_both_doors(pair, people):
    support = make_user("both-support")
    grant_support(support)
    give_totp(support)  # support needs a second factor
    requests = []
    for workspace in pair:
        set_enforcement(workspace, "web", True, actor=people["admin"])
        requests.append(
            secret_rotation.open_request(
                workspace,
                "web",
                mode=RotationMode.GAP,
                reason="routine",
                ticket="T-2",
                actor=support,
            )
        )
    page = console(support).post(f"/support/rotations/{requests[0].pk}/rotate", follow=True)
    answer = api(support).post(f"/api/v1/support/rotations/{requests[1].pk}/rotate")
    assert (answer.status_code, answer.json()["error"]) == (409, "platform_enforced")
    assert shown(page, answer.json()["message"])
    # Opening a second request for the same platform: the same conflict.
    form = {"platform": "web", "mode": "gap", "reason": "routine", "ticket": "T-3"}
    page = console(support).post(f"/support/w/{pair[0].app_id}/", form)
    answer = api(support).post(
        "/api/v1/support/rotations/", {**form, "app_id": pair[1].app_id}, format="json"
    )
    assert (answer.status_code, answer.json()["error"]) == (409, "rotation_already_open")
    assert shown(page, answer.json()["message"])
    assert len(audit(pair[0], "rotation.requested")) == len(audit(pair[1], "rotation.requested"))


def test_retiring_an_old_secret_before_the_new_one_verified_is_refused_alike(pair, people):
    """Issue 17 #7: finish_overlap refuses new_secret_unused at both doors; an override
    retires the old secret, audited alike."""
    support = make_user("both-support")
    grant_support(support)
    give_totp(support)  # support needs a second factor
    requests = []
    for workspace in pair:
        request = secret_rotation.open_request(
            workspace,
            "web",
            mode=RotationMode.OVERLAP,
            reason="routine",
            ticket="T-7",
            overlap_hours=24,
            actor=people["admin"],
        )
        requests.append(secret_rotation.rotate(request.pk, actor=support))
    (a, b), (ra, rb) = pair, requests
    page_url = f"/w/{a.app_id}/rotations/{ra.pk}/finish"
    api_url = f"/api/v1/workspaces/{b.app_id}/rotations/{rb.pk}/finish"
    page = console(people["admin"]).post(page_url, follow=True)
    answer = api(people["admin"]).post(api_url)
    assert (answer.status_code, answer.json()["error"]) == (409, "new_secret_unused")
    assert shown(page, answer.json()["message"])
    for request in requests:
        request.refresh_from_db()
        assert request.state == "rotated"

    console(people["admin"]).post(page_url, {"override": "on"})
    api(people["admin"]).post(api_url, {"override": True}, format="json")
    for request in requests:
        request.refresh_from_db()
        assert request.state == "completed"
    done_a, done_b = audit(a, "rotation.completed"), audit(b, "rotation.completed")
    assert [(e[0], e[2], e[4]) for e in done_a] == [(e[0], e[2], e[4]) for e in done_b]
    assert len(done_a) == 1


def test_a_public_key_is_registered_refused_and_audited_alike(pair, people):
    a, b = pair
    key = ec.generate_private_key(ec.SECP256R1())
    secret = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    body = {"algorithm": "ES256", "public_key": secret, "kid": "srv-1"}
    page = console(people["admin"]).post(f"/w/{a.app_id}/jwt/public-keys", body)
    answer = api(people["admin"]).post(f"/api/v1/workspaces/{b.app_id}/jwt-keys/", body)
    assert (answer.status_code, answer.json()["error"]) == (400, "private_key")
    assert page.status_code == 400 and shown(page, answer.json()["message"])
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    body["public_key"] = public.decode()
    assert console(people["admin"]).post(f"/w/{a.app_id}/jwt/public-keys", body).status_code == 302
    answer = api(people["admin"]).post(f"/api/v1/workspaces/{b.app_id}/jwt-keys/", body)
    assert answer.status_code == 201
    assert audit(a, "jwt_key.registered") == audit(b, "jwt_key.registered")
    assert len(audit(a, "jwt_key.registered")) == 1
