"""The hash checker and the token debugger opened from a messenger.js console link."""

from django.test import Client


def get(user, path):
    client = Client()
    client.force_login(user)
    return client.get(path)


def test_the_hash_checker_is_prefilled_with_the_identifier(personas, workspace):
    response = get(
        personas["developer"],
        f"/w/{workspace.app_id}/hash-checker/?platform=ios&user_id=alice&email=a%40x.test",
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert 'name="user_id" value="alice"' in text
    assert 'name="email" value="a@x.test"' in text
    assert '<option value="ios" selected>' in text


def test_the_hash_checker_ignores_unknown_or_oversized_values(personas, workspace):
    long_id = "x" * 300
    text = get(
        personas["viewer"],
        f"/w/{workspace.app_id}/hash-checker/?platform=mac&user_id={long_id}&user_hash=ab",
    ).content.decode()
    assert long_id not in text
    assert 'value="ab"' not in text  # never a proof from a link
    assert '<option value="web" selected>' in text


def test_the_debugger_says_what_the_messenger_reported(personas, workspace):
    text = get(
        personas["developer"], f"/w/{workspace.app_id}/jwt/debugger/?code=jwt_expired&user_id=alice"
    ).content.decode()
    assert 'data-testid="reported"' in text
    assert "<code>jwt_expired</code>" in text and "<code>alice</code>" in text


def test_the_debugger_shows_no_note_for_an_unknown_code(personas, workspace):
    text = get(
        personas["developer"], f"/w/{workspace.app_id}/jwt/debugger/?code=<b>hi</b>"
    ).content.decode()
    assert 'data-testid="reported"' not in text
    assert "<b>hi" not in text
