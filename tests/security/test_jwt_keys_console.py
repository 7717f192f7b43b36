"""Console pages of JWT keys and the token debugger, for every role."""

import time

import jwt
import pytest
from django.core.cache import cache
from django.urls import reverse

from security.actions.jwt_keys import rotate_messenger_key
from security.models import MessengerKey, PlatformSettings
from tests.factories import PASSWORD, current_key
from workspaces.models import AuditEvent

pytestmark = pytest.mark.django_db


def url(name, workspace, **kwargs):
    return reverse(name, kwargs={"app_id": workspace.app_id, **kwargs})


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def in_grace(workspace, personas):
    old = current_key(workspace)
    rotate_messenger_key(workspace, grace_hours=24, actor=personas["admin"])
    return old


# --- keys page -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "developer", "viewer"])
def test_members_see_the_keys_page_without_key_material(
    client, workspace, personas, in_grace, role, django_assert_max_num_queries
):
    login(client, personas[role])
    with django_assert_max_num_queries(12):
        response = client.get(url("security:jwt-keys", workspace))
    html = response.content.decode()
    assert response.status_code == 200
    assert in_grace[0] in html and "valid until" in html and "current" in html
    assert in_grace[1] not in html and current_key(workspace)[1] not in html
    assert ("Rotate key" in html) == (role == "admin")
    assert ("Reveal" in html) == (role in ("admin", "developer"))


@pytest.mark.parametrize("role", ["outsider", "support"])
def test_non_members_get_404_on_the_keys_page(client, workspace, personas, role):
    assert login(client, personas[role]).get(url("security:jwt-keys", workspace)).status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, workspace):
    response = client.get(url("security:jwt-keys", workspace))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_page_shows_the_hmac_to_jwt_migration_figures(client, workspace, personas):
    PlatformSettings.objects.filter(workspace=workspace, platform="web").update(
        readiness={"by_method": {"hmac": 30, "jwt": 70}}
    )
    PlatformSettings.objects.filter(workspace=workspace, platform="ios").update(
        readiness={"by_method": {"hmac": 0, "jwt": 12}}
    )
    html = (
        login(client, personas["viewer"]).get(url("security:jwt-keys", workspace)).content.decode()
    )
    assert "70 %" in html and "still uses user_hash" in html
    assert "safe to turn HMAC off" in html
    assert "No traffic yet" in html  # android: readiness {}


# --- rotate --------------------------------------------------------------------------


def test_admin_rotates_from_the_page(client, workspace, personas):
    response = login(client, personas["admin"]).post(
        url("security:jwt-rotate", workspace), {"grace_hours": "6"}
    )
    assert response.status_code == 302
    assert MessengerKey.objects.filter(workspace=workspace).count() == 2


@pytest.mark.parametrize(
    "role, status", [("developer", 403), ("viewer", 403), ("outsider", 404), ("support", 404)]
)
def test_only_admins_rotate_from_the_page(client, workspace, personas, role, status):
    response = login(client, personas[role]).post(
        url("security:jwt-rotate", workspace), {"grace_hours": "6"}
    )
    assert response.status_code == status
    assert MessengerKey.objects.filter(workspace=workspace).count() == 1


@pytest.mark.parametrize("hours", ["-1", "169", "abc", ""])
def test_bad_grace_shows_an_error_beside_the_field(client, workspace, personas, hours):
    response = login(client, personas["admin"]).post(
        url("security:jwt-rotate", workspace), {"grace_hours": hours}
    )
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    assert MessengerKey.objects.filter(workspace=workspace).count() == 1


def test_second_rotation_asks_about_the_key_in_grace(client, workspace, personas, in_grace):
    client = login(client, personas["admin"])
    page = client.get(url("security:jwt-keys", workspace)).content.decode()
    assert "End its grace now" in page and "Keep its current deadline" in page
    response = client.post(url("security:jwt-rotate", workspace), {"grace_hours": "24"})
    assert response.status_code == 409  # older_key_in_grace, as the API answers
    assert "is still in its grace period" in response.content.decode()
    assert MessengerKey.objects.filter(workspace=workspace).count() == 2
    response = client.post(
        url("security:jwt-rotate", workspace), {"grace_hours": "24", "older_key": "end_now"}
    )
    assert response.status_code == 302
    assert MessengerKey.objects.get(kid=in_grace[0]).state() == "expired"


# --- revoke --------------------------------------------------------------------------


def test_admin_revokes_after_confirming(client, workspace, personas, in_grace):
    client = login(client, personas["admin"])
    page = client.get(url("security:jwt-revoke", workspace, kid=in_grace[0]))
    assert page.status_code == 200 and "at once" in page.content.decode()
    assert MessengerKey.objects.get(kid=in_grace[0]).revoked_at is None
    response = client.post(url("security:jwt-revoke", workspace, kid=in_grace[0]))
    assert response.status_code == 302
    assert MessengerKey.objects.get(kid=in_grace[0]).state() == "revoked"


@pytest.mark.parametrize(
    "role, status", [("developer", 403), ("viewer", 403), ("outsider", 404), ("support", 404)]
)
def test_only_admins_revoke_from_the_page(client, workspace, personas, in_grace, role, status):
    response = login(client, personas[role]).post(
        url("security:jwt-revoke", workspace, kid=in_grace[0])
    )
    assert response.status_code == status
    assert MessengerKey.objects.get(kid=in_grace[0]).revoked_at is None


def test_revoking_the_current_key_shows_why_not(client, workspace, personas):
    kid, _ = current_key(workspace)
    client = login(client, personas["admin"])
    response = client.post(url("security:jwt-revoke", workspace, kid=kid), follow=True)
    assert "cannot be revoked" in response.content.decode()
    assert MessengerKey.objects.get(kid=kid).revoked_at is None


def test_revoking_an_unknown_kid_redirects_with_a_message(client, workspace, personas):
    response = login(client, personas["admin"]).post(
        url("security:jwt-revoke", workspace, kid="mk_nope"), follow=True
    )
    assert "no key with that kid" in response.content.decode()


# --- reveal --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "developer"])
def test_reveal_asks_the_password_then_shows_the_key(client, workspace, personas, role):
    kid, key = current_key(workspace)
    client = login(client, personas[role])
    page = client.get(url("security:jwt-reveal", workspace, kid=kid))
    assert page.status_code == 200 and key not in page.content.decode()
    response = client.post(url("security:jwt-reveal", workspace, kid=kid), {"password": PASSWORD})
    assert key in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    # Confirmed a moment ago: the next reveal needs no password.
    again = client.post(url("security:jwt-reveal", workspace, kid=kid))
    assert key in again.content.decode()
    assert AuditEvent.objects.filter(action="jwt_key.revealed").count() == 2


def test_a_revealed_jwt_key_has_a_copy_button(client, workspace, personas):
    kid, key = current_key(workspace)
    client.force_login(personas["developer"])
    html = client.post(
        reverse("security:jwt-reveal", args=[workspace.app_id, kid]), {"password": PASSWORD}
    ).content.decode()
    assert f'<code class="revealed" id="revealed-{kid}"' in html
    assert f'<button type="button" data-copy="revealed-{kid}">Copy</button>' in html
    assert key in html


def test_a_wrong_password_reveals_nothing(client, workspace, personas):
    kid, key = current_key(workspace)
    response = login(client, personas["developer"]).post(
        url("security:jwt-reveal", workspace, kid=kid), {"password": "nope"}
    )
    html = response.content.decode()
    assert response.status_code == 403 and "not your password" in html and key not in html
    assert not AuditEvent.objects.filter(action="jwt_key.revealed").exists()


def test_password_guessing_on_the_key_page_is_rate_limited(client, workspace, personas):
    kid, key = current_key(workspace)
    client = login(client, personas["admin"])
    for _ in range(10):
        client.post(url("security:jwt-reveal", workspace, kid=kid), {"password": "guess"})
    response = client.post(url("security:jwt-reveal", workspace, kid=kid), {"password": PASSWORD})
    html = response.content.decode()
    assert response.status_code == 429 and "Too many password attempts" in html
    assert key not in html
    assert int(response["Retry-After"]) > 0
    assert not AuditEvent.objects.filter(action="jwt_key.revealed").exists()


@pytest.mark.parametrize("role, status", [("viewer", 403), ("outsider", 404), ("support", 404)])
def test_others_cannot_reveal_from_the_page(client, workspace, personas, role, status):
    kid, key = current_key(workspace)
    response = login(client, personas[role]).post(
        url("security:jwt-reveal", workspace, kid=kid), {"password": PASSWORD}
    )
    assert response.status_code == status and key not in response.content.decode()


# --- debugger ------------------------------------------------------------------------


def expired_token(workspace):
    kid, key = current_key(workspace)
    claims = {"user_id": "42", "exp": int(time.time()) - 12 * 60 - 5}
    return jwt.encode(claims, key, algorithm="HS256", headers={"kid": kid})


@pytest.mark.parametrize("role", ["admin", "developer", "viewer"])
def test_members_use_the_debugger(client, workspace, personas, role):
    client = login(client, personas[role])
    assert client.get(url("security:jwt-debugger", workspace)).status_code == 200
    response = client.post(
        url("security:jwt-debugger", workspace), {"token": expired_token(workspace)}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "jwt_expired" in html and "expired 12 min ago" in html
    assert current_key(workspace)[1] not in html


def test_an_expired_token_with_a_valid_signature_is_not_called_untrusted(
    client, workspace, personas
):
    html = (
        login(client, personas["viewer"])
        .post(url("security:jwt-debugger", workspace), {"token": expired_token(workspace)})
        .content.decode()
    )
    assert "untrusted" not in html
    assert 'data-testid="payload-signed"' in html


def test_a_token_with_a_wrong_signature_is_untrusted(client, workspace, personas):
    kid, _ = current_key(workspace)
    forged = jwt.encode({"user_id": "42"}, "f" * 43, algorithm="HS256", headers={"kid": kid})
    html = (
        login(client, personas["viewer"])
        .post(url("security:jwt-debugger", workspace), {"token": forged})
        .content.decode()
    )
    assert 'data-testid="header-untrusted"' in html
    assert 'data-testid="payload-untrusted"' in html


def test_the_debugger_shows_header_and_payload_as_json(client, workspace, personas):
    kid, key = current_key(workspace)
    claims = {"user_id": "42", "admin": False, "nick": None, "exp": int(time.time()) + 600}
    token = jwt.encode(claims, key, algorithm="HS256", headers={"kid": kid})
    html = (
        login(client, personas["viewer"])
        .post(url("security:jwt-debugger", workspace), {"token": token})
        .content.decode()
    )
    payload = html.split('data-testid="debug-payload">')[1].split("</pre>")[0]
    header = html.split('data-testid="debug-header">')[1].split("</pre>")[0]
    assert "&quot;admin&quot;: false" in payload and "&quot;nick&quot;: null" in payload
    assert "False" not in payload and "None" not in payload and "&#x27;" not in payload
    assert "&quot;alg&quot;: &quot;HS256&quot;" in header


@pytest.mark.parametrize("role", ["outsider", "support"])
def test_non_members_cannot_use_the_debugger(client, workspace, personas, role):
    response = login(client, personas[role]).post(
        url("security:jwt-debugger", workspace), {"token": expired_token(workspace)}
    )
    assert response.status_code == 404


def test_an_empty_token_shows_an_error_beside_the_field(client, workspace, personas):
    response = login(client, personas["viewer"]).post(
        url("security:jwt-debugger", workspace), {"token": ""}
    )
    assert response.status_code == 400 and 'class="error"' in response.content.decode()


def test_the_debugger_page_is_rate_limited(client, workspace, personas):
    from security.actions.tools import DEBUG_RATE_LIMIT

    cache.clear()
    client = login(client, personas["viewer"])
    for _ in range(DEBUG_RATE_LIMIT):
        client.post(url("security:jwt-debugger", workspace), {"token": "a.b.c"})
    response = client.post(url("security:jwt-debugger", workspace), {"token": "a.b.c"})
    assert response.status_code == 429 and "Too many" in response.content.decode()
    assert response["Retry-After"]
