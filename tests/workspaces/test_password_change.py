"""Password change on the profile page: this session stays, the user's other sessions end,
a wrong current password changes nothing, and the change is audited."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD
from tests.workspaces.test_sessions import is_logged_out, logged_in
from workspaces.models import AuditEvent

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a completely new passphrase 7"
CHANGE = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}


def test_the_profile_page_offers_the_change(personas):
    page = logged_in("developer").get(reverse("workspaces:profile"))
    assert b'data-testid="password-change-form"' in page.content
    assert reverse("workspaces:password-change").encode() in page.content


def test_a_password_change_keeps_this_session_and_ends_the_others(personas):
    here, elsewhere = logged_in("developer"), logged_in("developer")
    stranger = logged_in("viewer")

    response = here.post(reverse("workspaces:password-change"), CHANGE, follow=True)

    assert response.redirect_chain[-1][0] == reverse("workspaces:profile")
    assert "1 other session ended" in response.content.decode()
    assert here.get(reverse("workspaces:profile")).status_code == 200
    assert is_logged_out(elsewhere)
    assert SESSION_KEY not in elsewhere.session
    assert not is_logged_out(stranger)
    assert Client().login(username="developer", password=NEW_PASSWORD)
    event = AuditEvent.objects.get(action="password.changed")
    assert (event.target, event.actor_id) == ("developer", personas["developer"].pk)


def test_a_wrong_current_password_changes_nothing(personas):
    here, elsewhere = logged_in("developer"), logged_in("developer")
    wrong = {**CHANGE, "old_password": "not it"}
    response = here.post(reverse("workspaces:password-change"), wrong)
    assert response.status_code == 400
    assert b"incorrectly" in response.content
    assert not is_logged_out(elsewhere)
    assert Client().login(username="developer", password=PASSWORD)
    assert not AuditEvent.objects.filter(action="password.changed").exists()


def test_a_weak_new_password_is_refused_beside_the_field(personas):
    here = logged_in("developer")
    weak = {**CHANGE, "new_password1": "12345678", "new_password2": "12345678"}
    response = here.post(reverse("workspaces:password-change"), weak)
    assert response.status_code == 400
    assert b"too common" in response.content


def test_the_change_needs_a_login_and_a_post(personas):
    assert Client().post(reverse("workspaces:password-change"), CHANGE).status_code == 302
    assert logged_in("developer").get(reverse("workspaces:password-change")).status_code == 405
