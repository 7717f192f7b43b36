"""Logging in with a second factor: the password step leaves the user logged out until a
TOTP code, a recovery code (once) or a passkey is right; a wrong second factor counts
towards django-axes' lock like a wrong password, and is audited as ``login.failed``."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, give_totp, make_user, recovery_code, totp_code
from workspaces.models import AuditEvent
from workspaces.two_factor import has_second_factor, second_factor_label

pytestmark = pytest.mark.django_db

SECOND = reverse("workspaces:login-second-factor")


def password_step(client, username="admin", **extra):
    return client.post(
        reverse("workspaces:login"), {"username": username, "password": PASSWORD}, **extra
    )


def logged_in(client):
    return "_auth_user_id" in client.session


def test_without_a_second_factor_the_password_logs_in(client, personas):
    response = password_step(client)
    assert response.status_code == 302 and response.url == reverse("workspaces:home")
    assert logged_in(client)


def test_with_a_second_factor_the_password_alone_does_not_log_in(client, workspace, personas):
    give_totp(personas["admin"])
    response = password_step(client)
    assert response.status_code == 302 and response.url == SECOND
    assert not logged_in(client)
    # Nothing opens in between: console pages send to the login, the API says 401/403.
    page = client.get(reverse("security:overview", kwargs={"app_id": workspace.app_id}))
    assert page.status_code == 302 and page.url.startswith(reverse("workspaces:login"))
    assert client.get("/api/v1/workspaces/").status_code in (401, 403)
    assert "Confirm it is you" in client.get(SECOND).content.decode()


def test_the_right_totp_code_logs_in_and_keeps_next(client, personas):
    device = give_totp(personas["admin"])
    client.post(
        reverse("workspaces:login") + "?next=/profile/",
        {"username": "admin", "password": PASSWORD, "next": "/profile/"},
    )
    response = client.post(SECOND, {"code": totp_code(device)})
    assert response.status_code == 302 and response.url == "/profile/"
    assert logged_in(client)


def test_a_code_is_not_accepted_twice(client, personas):
    device = give_totp(personas["admin"])
    code = totp_code(device)
    password_step(client)
    client.post(SECOND, {"code": code})
    client.logout()
    password_step(client)
    response = client.post(SECOND, {"code": code})
    assert response.status_code == 400
    assert not logged_in(client)


def test_a_recovery_code_works_once(client, personas):
    admin = personas["admin"]
    give_totp(admin)
    code = recovery_code(admin)
    password_step(client)
    assert client.post(SECOND, {"code": code.upper()}).status_code == 302
    client.logout()
    password_step(client)
    response = client.post(SECOND, {"code": code})
    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()


def test_a_code_counts_only_against_the_factor_of_its_shape():
    """django-otp pauses a device after a wrong code. A six-digit code was also tried as a
    recovery code, so a wrong (or right) authenticator code paused the recovery codes, and
    the recovery code typed next was refused (a flaky browser test found it)."""
    from workspaces.two_factor import verify_code

    user = make_user("wrong-app-code")
    app = give_totp(user)
    code = recovery_code(user)
    assert verify_code(user, "000000" if totp_code(app) != "000000" else "111111") is None
    assert verify_code(user, code) is not None  # not paused by the app's wrong code

    user = make_user("wrong-recovery-code")
    app = give_totp(user)
    recovery_code(user)
    assert verify_code(user, "abcde-fghij") is None
    assert verify_code(user, totp_code(app)) == app  # not paused by a wrong recovery code


def test_a_wrong_code_is_audited_as_a_failed_login(client, personas):
    give_totp(personas["admin"])
    password_step(client)
    client.post(SECOND, {"code": "123456x"})
    event = AuditEvent.objects.get(action="login.failed")
    assert event.target == "admin"
    assert event.after["stage"] == "second_factor"


def test_wrong_second_factors_lock_the_login_like_wrong_passwords(client, personas):
    device = give_totp(personas["admin"])
    password_step(client)
    for _ in range(5):
        client.post(SECOND, {"code": "000000" if totp_code(device) != "000000" else "111111"})
    # Locked: the right code is refused with the lockout page, so is the password.
    response = client.post(SECOND, {"code": totp_code(device)})
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()
    assert not logged_in(client)
    assert password_step(client).status_code == 429
    # Another address is not locked.
    assert password_step(client, REMOTE_ADDR="10.9.8.7").status_code == 302


def test_the_second_factor_page_needs_the_password_step_first(client, personas):
    assert client.get(SECOND).url == reverse("workspaces:login")
    assert client.post(SECOND, {"code": "123456"}).url == reverse("workspaces:login")


def test_passkey_options_need_the_password_step(client, personas):
    url = reverse("workspaces:login-passkey-options")
    assert client.post(url).status_code == 400
    give_totp(personas["admin"])
    password_step(client)
    # A user with no passkey gets no options either (nothing to list).
    assert client.post(url).json()["error"] == "no_pending_login"


def test_a_forged_passkey_answer_does_not_log_in(client, personas):
    give_totp(personas["admin"])
    password_step(client)
    response = client.post(SECOND, {"passkey": '{"id": "AAAA", "type": "public-key"}'})
    assert response.status_code == 400
    assert not logged_in(client)


def test_has_second_factor_and_its_label():
    user = make_user("zed")
    assert not has_second_factor(user)
    assert second_factor_label(user) == "None"
    recovery_code(user)
    assert not has_second_factor(user)  # recovery codes alone are no factor
    give_totp(user)
    assert has_second_factor(user)
    assert second_factor_label(user) == "Authenticator app"


def test_the_admin_login_sends_to_the_console_login(client, personas):
    response = client.get("/admin/login/?next=/admin/auth/user/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("workspaces:login"))
    assert "next=/admin/auth/user/" in response.url
    # A logged-in member who is not staff gets no admin form to try a password on.
    client.force_login(personas["admin"])
    assert client.get("/admin/login/").status_code == 403
