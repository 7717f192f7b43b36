"""The install page: the web snippets with app_id and SRI, the mobile contract, and the
platforms the gateway has heard from."""

import html

import pytest
from django.test import Client

from installcheck import messenger
from installcheck.counting import buffer
from installcheck.fold import fold
from tests.installcheck.traffic import send, send_verified


def page_of(user, workspace):
    client = Client()
    client.force_login(user)
    return client.get(f"/w/{workspace.app_id}/install/")


@pytest.mark.parametrize("role", ["admin", "developer", "viewer"])
def test_every_member_sees_the_install_page(personas, workspace, role):
    assert page_of(personas[role], workspace).status_code == 200


def test_an_outsider_gets_404(personas, workspace):
    assert page_of(personas["outsider"], workspace).status_code == 404


def test_anonymous_users_are_sent_to_log_in(workspace):
    response = Client().get(f"/w/{workspace.app_id}/install/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_sri_shown_is_the_served_files(personas, workspace):
    text = page_of(personas["developer"], workspace).content.decode()
    served = Client().get(messenger.PATH).content
    assert messenger.source() == served
    assert f'<code data-testid="sri">{messenger.integrity()}</code>' in text
    shown = html.unescape(text)
    assert shown.count(f'integrity="{messenger.integrity()}"') == 2


def test_both_snippets_carry_the_app_id_and_the_versioned_url(personas, workspace):
    shown = html.unescape(page_of(personas["viewer"], workspace).content.decode())
    url = "http://testserver" + messenger.versioned_path()
    assert f'app_id: "{workspace.app_id}"' in shown
    assert f'data-app-id="{workspace.app_id}"' in shown
    assert shown.count(f'src="{url}"') == 2
    assert "connect-src 'self' http://testserver" in shown
    assert f'href="/w/{workspace.app_id}/snippets/"' in shown


def test_the_mobile_contract_names_the_bundle_and_version(personas, workspace):
    shown = html.unescape(page_of(personas["viewer"], workspace).content.decode())
    for platform in ("ios", "android"):
        assert f'data-testid="install-{platform}"' in shown
        assert f'"platform": "{platform}"' in shown
    assert '"app_bundle": "com.example.shop"' in shown
    assert '"app_version": "5.2.0"' in shown
    assert "POST http://testserver/messenger/v1/ping" in shown


def test_it_says_which_platforms_have_been_seen(personas, workspace):
    text = page_of(personas["admin"], workspace).content.decode()
    assert text.count("not seen yet") == 3
    send_verified(workspace, "u1")
    send(workspace, "ios", app_bundle="com.acme.app", user_id="x")
    buffer.flush()
    fold()
    text = page_of(personas["admin"], workspace).content.decode()
    assert text.count("not seen yet") == 1
    assert "<code>shop.example.com</code>" in text
    assert "<code>com.acme.app</code>" in text


def test_the_page_is_in_the_workspace_menu(personas, workspace):
    text = page_of(personas["viewer"], workspace).content.decode()
    assert f'href="/w/{workspace.app_id}/install/" class="active"' in text


def test_the_page_costs_a_few_queries(personas, workspace, django_assert_max_num_queries):
    client = Client()
    client.force_login(personas["admin"])
    send(workspace, "android", app_bundle="com.acme.android")
    buffer.flush()
    fold()
    with django_assert_max_num_queries(12):
        assert client.get(f"/w/{workspace.app_id}/install/").status_code == 200
