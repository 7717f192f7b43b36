import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from workspaces.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_profile_needs_login(client):
    assert client.get(reverse("profile")).status_code == 302


def test_user_creates_a_token_and_sees_it_once(client, personas):
    client.force_login(personas["developer"])
    response = client.post(reverse("profile"))
    token = Token.objects.get(user=personas["developer"])
    assert token.key in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    later = client.get(reverse("profile")).content.decode()
    assert token.key not in later
    assert token.key[-4:] in later
    assert AuditEvent.objects.filter(action="api_token.created").exists()


def test_regenerating_replaces_the_old_token(client, personas):
    client.force_login(personas["viewer"])
    client.post(reverse("profile"))
    old = Token.objects.get(user=personas["viewer"]).key
    client.post(reverse("profile"))
    assert Token.objects.get(user=personas["viewer"]).key != old
    assert AuditEvent.objects.filter(action="api_token.regenerated").exists()
