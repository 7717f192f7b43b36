import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from rest_framework.test import APIClient

from workspaces.models import ApiToken, AuditEvent

pytestmark = pytest.mark.django_db


def shown_key(response):
    return re.search(r'data-testid="api-token">([^<]+)<', response.content.decode()).group(1)


def test_profile_needs_login(client):
    assert client.get(reverse("workspaces:profile")).status_code == 302


def test_user_creates_a_token_and_sees_it_once(client, personas):
    client.force_login(personas["developer"])
    posted = client.post(reverse("workspaces:profile"))
    assert posted.status_code == 302
    assert posted["Location"] == reverse("workspaces:profile")
    response = client.get(posted["Location"])
    key = shown_key(response)
    assert key not in posted["Location"]
    assert "no-store" in response["Cache-Control"]
    assert "verity.new_api_token" not in client.session
    later = client.get(reverse("workspaces:profile")).content.decode()
    assert key not in later
    assert key[-4:] in later
    assert AuditEvent.objects.filter(action="api_token.created").exists()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/workspaces/").status_code == 200


def test_reloading_after_creating_a_token_issues_no_other(client, personas):
    client.force_login(personas["developer"])
    key = shown_key(client.post(reverse("workspaces:profile"), follow=True))
    for _ in range(2):
        assert client.get(reverse("workspaces:profile")).status_code == 200
    assert AuditEvent.objects.filter(action__startswith="api_token.").count() == 1
    assert ApiToken.objects.get(user=personas["developer"]).digest == ApiToken.digest_of(key)


def test_regenerating_asks_first_and_a_post_without_the_answer_changes_nothing(client, personas):
    client.force_login(personas["viewer"])
    key = shown_key(client.post(reverse("workspaces:profile"), follow=True))
    page = client.get(reverse("workspaces:profile")).content.decode()
    assert 'href="?regenerate=1"' in page
    assert "regenerate-confirmation" not in page
    asked = client.get(reverse("workspaces:profile") + "?regenerate=1").content.decode()
    assert 'data-testid="regenerate-confirmation"' in asked
    assert 'name="replace" value="yes"' in asked
    unconfirmed = client.post(reverse("workspaces:profile"))
    assert unconfirmed.status_code == 200
    assert 'data-testid="regenerate-confirmation"' in unconfirmed.content.decode()
    assert ApiToken.objects.get(user=personas["viewer"]).digest == ApiToken.digest_of(key)
    assert not AuditEvent.objects.filter(action="api_token.regenerated").exists()


def test_a_key_replaced_in_another_tab_is_not_shown(client, personas):
    client.force_login(personas["viewer"])
    client.post(reverse("workspaces:profile"))
    ApiToken.issue(personas["viewer"])
    page = client.get(reverse("workspaces:profile")).content.decode()
    assert 'data-testid="api-token"' not in page


def test_only_a_digest_of_the_token_is_stored(personas):
    token, key = ApiToken.issue(personas["viewer"])
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert key not in repr(stored)
    assert stored["digest"] == ApiToken.digest_of(key)
    assert key not in f"{token} {token!r}"


def test_regenerating_replaces_the_old_token(client, personas):
    client.force_login(personas["viewer"])
    profile = reverse("workspaces:profile")
    old = shown_key(client.post(profile, follow=True))
    new = shown_key(client.post(profile, {"replace": "yes"}, follow=True))
    assert new != old
    assert ApiToken.objects.filter(user=personas["viewer"]).count() == 1
    assert AuditEvent.objects.filter(action="api_token.regenerated").exists()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    response = api.get("/api/v1/workspaces/")
    assert response.status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {new}")
    assert api.get("/api/v1/workspaces/").status_code == 200


def test_wrong_and_malformed_tokens_are_refused(personas):
    ApiToken.issue(personas["viewer"])
    api = APIClient()
    for header in ("Token nope", "Token ", "Token a b", "Token " + "x" * 500):
        api.credentials(HTTP_AUTHORIZATION=header)
        response = api.get("/api/v1/workspaces/")
        assert response.status_code == 401, header
        assert "error" in response.json() or "detail" in response.json()


def test_the_command_prints_a_working_token(personas, capsys):
    call_command("create_api_token", "viewer")
    key = capsys.readouterr().out.strip()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/workspaces/").status_code == 200
    assert not ApiToken.objects.filter(digest=key).exists()


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_plaintext_drf_tokens_into_digests(django_user_model):
    """A database from before hashed tokens: its DRF keys keep working and are erased."""
    user = django_user_model.objects.create_user("legacy", password="x-legacy-pass-1")
    executor = MigrationExecutor(connection)
    executor.migrate([("workspaces", "0001_initial")])
    key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "created timestamp with time zone NOT NULL, user_id integer NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)",
            [key, "2026-01-01T00:00:00+00:00", user.pk],
        )
    try:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM authtoken_token")
            assert cursor.fetchone() == (0,)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE authtoken_token")
    token = ApiToken.objects.get(user=user)
    assert token.digest == ApiToken.digest_of(key)
    assert token.last4 == "4567"
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/workspaces/").status_code == 200
