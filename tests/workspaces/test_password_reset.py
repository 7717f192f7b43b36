"""Password reset by email: end to end through a real SMTP server, the same page for
every address (nothing sent to unknown ones), throttled per address and per account,
audited without the address, and the old sessions end."""

import logging
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, make_user
from workspaces import mail
from workspaces.models import AuditEvent

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a completely new passphrase 7"
LINK = re.compile(r"https?://[^/\s]+(/password-reset/[^\s]+/)")


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def alice(db):
    return make_user("alice", email="alice@acme.test")


def ask_reset(client, email, capture):
    with capture(execute=True):
        return client.post(reverse("workspaces:password-reset"), {"email": email})


def link_in(message):
    return LINK.search(message.get_content()).group(1)


def test_the_login_page_links_to_the_reset(client):
    page = client.get(reverse("workspaces:login")).content.decode()
    assert reverse("workspaces:password-reset") in page
    assert "Forgot your password?" in page


def test_a_reset_works_end_to_end_through_smtp(
    client, alice, smtp_server, django_capture_on_commit_callbacks
):
    response = ask_reset(client, "alice@acme.test", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"] == reverse("workspaces:password-reset-done")

    [message] = smtp_server.messages
    assert message.envelope_to == ["alice@acme.test"]
    assert message["Subject"] == "[Verity] Reset your password"
    form = client.get(link_in(message), follow=True)
    assert form.context["validlink"]
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done["Location"] == reverse("workspaces:password-reset-complete")

    fresh = Client()
    assert not fresh.login(username="alice", password=PASSWORD)
    login = fresh.post(reverse("workspaces:login"), {"username": "alice", "password": NEW_PASSWORD})
    assert login.status_code == 302
    # The link works once.
    again = client.get(link_in(message), follow=True)
    assert not again.context["validlink"]


def test_an_unknown_address_gets_the_same_page_and_nothing_is_sent(
    alice, smtp_server, django_capture_on_commit_callbacks
):
    known = Client()
    unknown = Client()
    answers = [
        ask_reset(c, email, django_capture_on_commit_callbacks)
        for c, email in ((known, "alice@acme.test"), (unknown, "nobody@acme.test"))
    ]
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0]["Location"] == answers[1]["Location"]
    pages = [c.get(a["Location"]).content for c, a in zip((known, unknown), answers, strict=True)]
    strip_csrf = re.compile(rb'"X-CSRFToken": "[^"]*"')
    assert strip_csrf.sub(b"", pages[0]) == strip_csrf.sub(b"", pages[1])
    assert [m.envelope_to for m in smtp_server.messages] == [["alice@acme.test"]]


def test_the_view_looks_no_account_up(client, alice, django_capture_on_commit_callbacks):
    """The request does the same work for any address: the lookup is in the worker."""
    with django_capture_on_commit_callbacks(execute=False) as published:
        client.post(reverse("workspaces:password-reset"), {"email": "nobody@acme.test"})
        client.post(reverse("workspaces:password-reset"), {"email": "alice@acme.test"})
    assert len(published) == 2


def test_reset_is_throttled_per_address(
    client, alice, smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.VERITY_PASSWORD_RESET_LIMIT = 2
    for email in ("alice@acme.test", "ALICE@acme.test", "alice@acme.test"):
        response = ask_reset(client, email, django_capture_on_commit_callbacks)
        assert response["Location"] == reverse("workspaces:password-reset-done")
    assert len(smtp_server.messages) == 2


def test_reset_is_throttled_per_account(alice, smtp_server, settings):
    settings.VERITY_PASSWORD_RESET_LIMIT = 2
    sent = [
        mail.send_password_reset("alice@acme.test", domain="testserver", use_https=True, ip="")
        for _ in range(3)
    ]
    assert sent == [1, 1, 0]
    assert len(smtp_server.messages) == 2
    assert AuditEvent.objects.filter(action="password.reset_throttled", target="alice").exists()


def test_a_reset_is_audited_without_the_address(
    client, alice, smtp_server, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.DEBUG)
    ask_reset(client, "alice@acme.test", django_capture_on_commit_callbacks)
    form = client.get(link_in(smtp_server.messages[0]), follow=True)
    client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    events = AuditEvent.objects.filter(action__startswith="password.")
    assert {e.action for e in events} == {"password.reset_requested", "password.reset"}
    for event in events:
        assert event.target == "alice"
        assert "alice@acme.test" not in repr(vars(event))
    for record in caplog.records:
        assert "alice@acme.test" not in record.getMessage()


def test_a_reset_ends_every_session_of_the_account(
    alice, smtp_server, django_capture_on_commit_callbacks
):
    other = Client()
    other.force_login(alice)
    assert other.get(reverse("workspaces:profile")).status_code == 200
    browser = Client()
    ask_reset(browser, "alice@acme.test", django_capture_on_commit_callbacks)
    form = browser.get(link_in(smtp_server.messages[0]), follow=True)
    browser.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert other.get(reverse("workspaces:profile")).status_code == 302


def test_an_inactive_account_gets_no_link(alice, smtp_server, django_capture_on_commit_callbacks):
    alice.is_active = False
    alice.save()
    ask_reset(Client(), "alice@acme.test", django_capture_on_commit_callbacks)
    assert smtp_server.messages == []


def test_a_tampered_link_is_refused(client, alice, smtp_server, django_capture_on_commit_callbacks):
    ask_reset(client, "alice@acme.test", django_capture_on_commit_callbacks)
    link = link_in(smtp_server.messages[0])
    page = client.get(link[:-3] + "xx/", follow=True)
    assert not page.context["validlink"]
    assert b"password-reset-invalid" in page.content
