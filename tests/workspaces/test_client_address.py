"""One client-address resolver (workspaces.auth.client_address) behind 0, 1 or 2 trusted
proxies: the login lock, audit rows and the gateway's per-source limit all follow it."""

import ipaddress
import json
from unittest import mock

import pytest
from django.test import RequestFactory
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.request import Request

from installcheck.limits import limiter
from tests.factories import PASSWORD
from workspaces.auth import UNKNOWN_ADDRESS, client_address, client_ip
from workspaces.models import AuditEvent

PROXY = "10.0.0.9"  # REMOTE_ADDR: the proxy nearest us (the client itself with 0 proxies)
X1, X2, X3 = "198.51.100.1", "198.51.100.2", "198.51.100.3"


def meta(*forwarded, remote=PROXY):
    values = {"REMOTE_ADDR": remote}
    if forwarded:
        values["HTTP_X_FORWARDED_FOR"] = ", ".join(forwarded)
    return values


@pytest.mark.parametrize(
    "proxies, forwarded, expected",
    [
        # 0 proxies: X-Forwarded-For is anybody's, only the peer counts.
        (0, (), PROXY),
        (0, (X1,), PROXY),
        (0, (X1, X2), PROXY),
        (0, (X1, X2, X3), PROXY),
        # 1 proxy: it appended the client, the right-most entry.
        (1, (), PROXY),  # skipped the proxy: the peer is the client
        (1, (X1,), X1),  # what one proxy sends for every honest client
        (1, (X1, X2), X2),
        (1, (X1, X2, X3), X3),
        # 2 proxies: the outer one appended the client, the inner one the outer one.
        (2, (), PROXY),
        (2, (X1,), X1),  # chain shorter than needed: its left-most address
        (2, (X1, X2), X1),
        (2, (X1, X2, X3), X2),
    ],
)
def test_the_client_is_the_address_left_of_the_trusted_proxies(proxies, forwarded, expected):
    assert client_address(meta(*forwarded), proxies) == expected


@pytest.mark.parametrize("proxies", [1, 2])
@given(
    prefix=st.text(st.characters(max_codepoint=255)),
    client=st.ip_addresses().map(str),
)
def test_a_client_cannot_remove_what_our_proxies_append(proxies, prefix, client):
    """Whatever the client writes into X-Forwarded-For, our proxies' entries decide."""
    appended = [client, *[f"10.0.0.{n}" for n in range(1, proxies)]]
    forwarded = ", ".join([prefix, *appended]) if prefix else ", ".join(appended)
    address = client_address({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}, proxies)
    sent = ipaddress.ip_address(client)
    assert ipaddress.ip_address(address) == (getattr(sent, "ipv4_mapped", None) or sent)


@pytest.mark.parametrize("proxies", [0, 1, 2, 3])
@given(forwarded=st.text(st.characters(max_codepoint=255)), remote=st.text(max_size=50))
def test_any_input_gives_an_address_never_none(proxies, forwarded, remote):
    address = client_address({"REMOTE_ADDR": remote, "HTTP_X_FORWARDED_FOR": forwarded}, proxies)
    assert ipaddress.ip_address(address)


def test_an_invalid_entry_at_the_clients_position_never_lets_a_left_entry_count():
    # The proxy wrote "unknown" (e.g. a Unix-socket peer); the forged entry on its left
    # must not move into its place: the next trusted address to the right counts.
    assert client_address(meta("203.0.113.66", "unknown"), 1) == PROXY
    assert client_address(meta("203.0.113.66", "", X2), 2) == X2


def test_invalid_entries_left_of_the_client_are_ignored():
    assert client_address(meta("garbage", "1.2.3.4\x00", "ü", X1), 1) == X1
    assert client_address(meta("junk"), 2) == PROXY  # short chain: left-most *address*


@pytest.mark.parametrize(
    "entry, address",
    [
        ("2001:DB8::1", "2001:db8::1"),
        (" 192.0.2.1 ", "192.0.2.1"),
        ("192.0.2.1:5678", "192.0.2.1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
    ],
)
def test_addresses_are_normalised_so_one_client_has_one_key(entry, address):
    assert client_address(meta(entry), 1) == address
    assert client_address(meta(remote=entry), 0) == address


def test_without_any_address_the_answer_is_a_fixed_one_not_none():
    assert client_address({}, 0) == UNKNOWN_ADDRESS
    assert client_address({"REMOTE_ADDR": "/run/verity.sock"}, 1) == UNKNOWN_ADDRESS


def test_the_setting_decides_when_no_count_is_given(settings):
    request = meta(X1, X2)
    settings.VERITY_TRUSTED_PROXY_COUNT = 0
    assert client_address(request) == PROXY
    settings.VERITY_TRUSTED_PROXY_COUNT = 1
    assert client_address(request) == X2


def test_client_ip_reads_django_and_drf_requests(settings):
    settings.VERITY_TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=X1, REMOTE_ADDR=PROXY)
    assert client_ip(request) == X1
    assert client_ip(Request(request)) == X1


# ---- the attack of issue 14: locking anyone out from behind the same proxy ----------------


def login(client, username, password, forwarded):
    return client.post(
        reverse("workspaces:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


@pytest.mark.django_db
def test_wrong_passwords_from_another_client_do_not_lock_the_real_user_out(
    client, personas, settings
):
    settings.VERITY_TRUSTED_PROXY_COUNT = 1
    for _ in range(5):
        login(client, "admin", "wrong", "198.51.100.66")
    assert login(client, "admin", PASSWORD, "198.51.100.66").status_code == 429
    assert login(client, "admin", PASSWORD, "192.0.2.10").status_code == 302


@pytest.mark.django_db
def test_behind_a_proxy_a_forged_left_entry_does_not_escape_the_lock(client, personas, settings):
    settings.VERITY_TRUSTED_PROXY_COUNT = 1
    for n in range(5):
        login(client, "admin", "wrong", f"10.66.0.{n}, 198.51.100.66")
    assert login(client, "admin", PASSWORD, "10.66.0.99, 198.51.100.66").status_code == 429


@pytest.mark.django_db
def test_audit_rows_record_the_client_behind_the_proxy(client, personas, settings):
    settings.VERITY_TRUSTED_PROXY_COUNT = 1
    client.force_login(personas["admin"])
    client.post(reverse("workspaces:profile"), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.10")
    assert AuditEvent.objects.get(action="api_token.created").ip == "192.0.2.10"


@pytest.mark.django_db
def test_the_gateway_limits_each_client_behind_the_proxy_on_its_own(client, workspace, settings):
    settings.VERITY_TRUSTED_PROXY_COUNT = 1
    settings.VERITY_GATEWAY_SOURCE_LIMIT = 2
    body = json.dumps({"app_id": workspace.app_id, "platform": "web"})

    def send(forwarded):
        return client.post(
            "/messenger/v1/ping",
            body,
            content_type="application/json",
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=forwarded,
        ).status_code

    with mock.patch.object(limiter, "_clock", lambda: 12345.5):  # one window throughout
        assert [send("198.51.100.66") for _ in range(3)] == [200, 200, 429]
        assert send("192.0.2.10") == 200


@pytest.mark.django_db
def test_reveal_password_attempts_and_the_reveal_record_the_client_behind_the_proxy(
    workspace, personas, settings
):
    from axes.models import AccessAttempt
    from rest_framework.test import APIClient

    settings.VERITY_TRUSTED_PROXY_COUNT = 1
    api = APIClient(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.10")
    api.force_authenticate(personas["admin"])
    url = f"/api/v1/workspaces/{workspace.app_id}/platforms/web/secret/reveal"
    assert api.post(url, {"password": "wrong"}, format="json").status_code == 403
    assert AuditEvent.objects.get(action="secret.reveal_refused").ip == "192.0.2.10"
    # A reveal's password is not a login: it never counts towards the login lock.
    assert not AccessAttempt.objects.exists()
    assert api.post(url, {"password": PASSWORD}, format="json").status_code == 200
    assert AuditEvent.objects.get(action="secret.revealed").ip == "192.0.2.10"
