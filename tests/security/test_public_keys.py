"""Registering public keys (issue 19): the action, the API and the console page, every
role, every refusal, and a database dump that holds nothing able to sign."""

import json
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.core.management import call_command
from django.urls import reverse
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm
from rest_framework.test import APIClient

from security import public_keys, startup
from security.actions.jwt_keys import (
    register_public_key,
    reveal_messenger_key,
    revoke_messenger_key,
)
from security.actions.tools import candidates_for
from security.models import MessengerKey
from tests.factories import PASSWORD, secret_of
from workspaces.models import AuditEvent, ConfigGeneration
from workspaces.refusals import Refused

pytestmark = pytest.mark.django_db

_TO_JWK = {
    "ES256": ECAlgorithm.to_jwk,
    "EdDSA": OKPAlgorithm.to_jwk,
    "RS256": RSAAlgorithm.to_jwk,
}


def private(algorithm, bits=2048):
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def public_pem(key):
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def private_pem(key):
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_jwk(algorithm, key):
    return _TO_JWK[algorithm](key.public_key())


def private_jwk(algorithm, key):
    return _TO_JWK[algorithm](key)


def register(workspace, personas, algorithm, text, **kwargs):
    return register_public_key(
        workspace, algorithm=algorithm, public_key=text, actor=personas["admin"], **kwargs
    )


def refusal(workspace, personas, algorithm, text):
    with pytest.raises(Refused) as caught:
        register(workspace, personas, algorithm, text)
    assert not MessengerKey.objects.exclude(algorithm="HS256").exists()
    return caught.value


# --- the action ------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["ES256", "EdDSA", "RS256"])
@pytest.mark.parametrize("form", ["pem", "jwk"])
def test_each_algorithm_registers_from_pem_and_from_jwk(workspace, personas, algorithm, form):
    key = private(algorithm)
    text = public_pem(key) if form == "pem" else public_jwk(algorithm, key)
    generation = ConfigGeneration.objects.get(pk=1).value
    row = register(workspace, personas, algorithm, text, kid="server-1")
    row.refresh_from_db()
    assert (row.kid, row.algorithm, row.state(), row.ciphertext) == (
        "server-1",
        algorithm,
        "active",
        "",
    )
    assert row.public_key == public_pem(key)  # canonical PEM whichever form was pasted
    assert ConfigGeneration.objects.get(pk=1).value > generation
    event = AuditEvent.objects.get(action="jwt_key.registered")
    assert (event.target, event.after["algorithm"]) == ("server-1", algorithm)


def test_a_kid_is_generated_when_none_is_given(workspace, personas):
    row = register(workspace, personas, "ES256", public_pem(private("ES256")))
    assert row.kid.startswith("mk_")


@pytest.mark.parametrize("algorithm", ["ES256", "EdDSA", "RS256"])
def test_a_private_pem_is_refused_and_named(workspace, personas, algorithm):
    refused = refusal(workspace, personas, algorithm, private_pem(private(algorithm)))
    assert (refused.code, refused.status, refused.field) == ("private_key", 400, "public_key")
    assert "PRIVATE key" in refused.message and "paste the public key" in refused.message


@pytest.mark.parametrize("algorithm", ["ES256", "EdDSA", "RS256"])
def test_a_private_jwk_is_refused(workspace, personas, algorithm):
    refused = refusal(workspace, personas, algorithm, private_jwk(algorithm, private(algorithm)))
    assert refused.code == "private_key"


def test_a_traditional_ec_private_key_is_refused_as_private(workspace, personas):
    text = (
        private("ES256")
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        .decode()
    )
    assert refusal(workspace, personas, "ES256", text).code == "private_key"


@pytest.mark.parametrize(
    "algorithm, other",
    [("ES256", "RS256"), ("ES256", "EdDSA"), ("EdDSA", "ES256"), ("RS256", "ES256")],
)
@pytest.mark.parametrize("form", ["pem", "jwk"])
def test_a_key_of_another_type_than_the_algorithm_is_refused(
    workspace, personas, algorithm, other, form
):
    key = private(other)
    text = public_pem(key) if form == "pem" else public_jwk(other, key)
    refused = refusal(workspace, personas, algorithm, text)
    assert (refused.code, refused.status, refused.field) == ("wrong_key_type", 400, "public_key")


def test_an_ec_key_on_another_curve_than_p256_is_refused(workspace, personas):
    text = public_pem(ec.generate_private_key(ec.SECP384R1()))
    assert refusal(workspace, personas, "ES256", text).code == "wrong_key_type"


@pytest.mark.parametrize("form", ["pem", "jwk"])
def test_an_rsa_key_of_1024_bits_is_refused(workspace, personas, form):
    key = private("RS256", bits=1024)
    text = public_pem(key) if form == "pem" else public_jwk("RS256", key)
    refused = refusal(workspace, personas, "RS256", text)
    assert (refused.code, refused.status) == ("rsa_key_too_small", 400)
    assert "1024 bits" in refused.message


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hello",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        "{not json",
        "[]",
        '{"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}',
        "x" * (public_keys.MAX_LENGTH + 1),
    ],
)
def test_garbage_is_refused(workspace, personas, text):
    refused = refusal(workspace, personas, "ES256", text)
    assert (refused.code, refused.status, refused.field) == (
        "invalid_public_key",
        400,
        "public_key",
    )


def test_an_unknown_algorithm_is_refused(workspace, personas):
    refused = refusal(workspace, personas, "HS256", public_pem(private("ES256")))
    assert (refused.code, refused.field) == ("invalid_algorithm", "algorithm")


@pytest.mark.parametrize("kid", ["", "a b", "k" * 33, "ü"])
def test_a_malformed_kid_is_refused(workspace, personas, kid):
    with pytest.raises(Refused) as caught:
        register(workspace, personas, "ES256", public_pem(private("ES256")), kid=kid)
    assert (caught.value.code, caught.value.field) == ("invalid_kid", "kid")


def test_a_kid_already_used_is_refused(workspace, personas):
    register(workspace, personas, "ES256", public_pem(private("ES256")), kid="server-1")
    with pytest.raises(Refused) as caught:
        register(workspace, personas, "EdDSA", public_pem(private("EdDSA")), kid="server-1")
    assert (caught.value.code, caught.value.status) == ("kid_taken", 409)


def test_a_public_key_is_revoked_like_an_hs256_key_and_has_nothing_to_reveal(workspace, personas):
    row = register(workspace, personas, "ES256", public_pem(private("ES256")), kid="server-1")
    with pytest.raises(Refused) as caught:
        reveal_messenger_key(workspace, "server-1", actor=personas["admin"], proof=PASSWORD)
    assert (caught.value.code, caught.value.status) == ("nothing_to_reveal", 409)
    revoke_messenger_key(workspace, "server-1", actor=personas["admin"])
    row.refresh_from_db()
    assert row.state() == "revoked"


def test_a_dump_after_registering_an_es256_key_holds_nothing_that_signs(workspace, personas):
    """Issue 19's "Done means": the customer keeps the private key; Verity's database has
    only the public key, which cannot sign."""
    key = private("ES256")
    register(workspace, personas, "ES256", public_jwk("ES256", key), kid="server-1")
    out = StringIO()
    call_command("dumpdata", "security", "workspaces", stdout=out)
    dump = out.getvalue()
    secret_d = json.loads(private_jwk("ES256", key))["d"]
    assert secret_d not in dump
    for line in private_pem(key).splitlines()[1:-1]:
        assert line not in dump
    assert "PRIVATE" not in dump
    rows = [r for r in json.loads(dump) if r["model"] == "security.messengerkey"]
    stored = next(r["fields"] for r in rows if r["fields"]["kid"] == "server-1")
    assert stored["ciphertext"] == ""
    loaded = serialization.load_pem_public_key(stored["public_key"].encode())
    assert loaded.public_numbers() == key.public_key().public_numbers()
    assert not hasattr(loaded, "sign")  # a public key object: it can only verify


# --- the API ---------------------------------------------------------------------------


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def endpoint(workspace):
    return f"/api/v1/workspaces/{workspace.app_id}/jwt-keys/"


def test_an_admin_registers_a_key_through_the_api(workspace, personas):
    text = public_pem(private("EdDSA"))
    body = {"algorithm": "EdDSA", "public_key": text, "kid": "ed-1"}
    response = api(personas["admin"]).post(endpoint(workspace), body, format="json")
    assert response.status_code == 201
    data = response.json()
    assert (data["kid"], data["algorithm"], data["state"], data["public_key"]) == (
        "ed-1",
        "EdDSA",
        "active",
        text,
    )
    listed = api(personas["viewer"]).get(endpoint(workspace)).json()
    assert {r["kid"]: r["public_key"] for r in listed}["ed-1"] == text
    assert all(r["public_key"] is None for r in listed if r["algorithm"] == "HS256")
    reveal = api(personas["admin"]).post(
        f"{endpoint(workspace)}ed-1/reveal", {"password": PASSWORD}, format="json"
    )
    assert (reveal.status_code, reveal.json()["error"]) == (409, "nothing_to_reveal")


@pytest.mark.parametrize("role, status", [("developer", 403), ("viewer", 403), ("outsider", 404)])
def test_only_an_admin_registers_through_the_api(workspace, personas, role, status):
    body = {"algorithm": "ES256", "public_key": public_pem(private("ES256"))}
    response = api(personas[role]).post(endpoint(workspace), body, format="json")
    assert response.status_code == status
    assert not MessengerKey.objects.exclude(algorithm="HS256").exists()


def test_the_api_names_a_private_key_beside_the_field(workspace, personas):
    body = {"algorithm": "ES256", "public_key": private_pem(private("ES256"))}
    response = api(personas["admin"]).post(endpoint(workspace), body, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "private_key"
    assert "PRIVATE key" in response.json()["message"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"algorithm": "HS256", "public_key": "x"},
        {"algorithm": "ES256"},
        {"algorithm": "ES256", "public_key": 42},
        {"algorithm": "ES256", "public_key": "x" * (public_keys.MAX_LENGTH + 1)},
    ],
)
def test_the_api_refuses_bad_bodies_with_400(workspace, personas, body):
    response = api(personas["admin"]).post(endpoint(workspace), body, format="json")
    assert response.status_code == 400


# --- the console -----------------------------------------------------------------------


def page(workspace):
    return reverse("security:jwt-keys", kwargs={"app_id": workspace.app_id})


def register_url(workspace):
    return reverse("security:jwt-register", kwargs={"app_id": workspace.app_id})


def test_an_admin_registers_a_key_on_the_keys_page(client, workspace, personas):
    client.force_login(personas["admin"])
    text = public_pem(private("RS256"))
    response = client.post(
        register_url(workspace), {"algorithm": "RS256", "public_key": text, "kid": "rsa-1"}
    )
    assert response.status_code == 302
    shown = client.get(page(workspace)).content.decode()
    assert 'data-kid="rsa-1" data-state="active"' in shown
    assert text.splitlines()[1] in shown


def test_a_private_key_is_refused_beside_the_field_in_the_console(client, workspace, personas):
    client.force_login(personas["admin"])
    body = {"algorithm": "ES256", "public_key": private_pem(private("ES256"))}
    response = client.post(register_url(workspace), body)
    assert response.status_code == 400
    assert "PRIVATE key" in response.content.decode()
    assert not MessengerKey.objects.exclude(algorithm="HS256").exists()


@pytest.mark.parametrize("role, status", [("developer", 403), ("viewer", 403), ("outsider", 404)])
def test_only_an_admin_registers_in_the_console(client, workspace, personas, role, status):
    client.force_login(personas[role])
    body = {"algorithm": "ES256", "public_key": public_pem(private("ES256"))}
    assert client.post(register_url(workspace), body).status_code == status
    assert not MessengerKey.objects.exclude(algorithm="HS256").exists()


@pytest.mark.parametrize("role", ["developer", "viewer"])
def test_only_admins_see_the_register_form(client, workspace, personas, role):
    client.force_login(personas[role])
    assert 'data-testid="public-key-form"' not in client.get(page(workspace)).content.decode()
    client.force_login(personas["admin"])
    assert 'data-testid="public-key-form"' in client.get(page(workspace)).content.decode()


# --- encrypted-secret machinery ignores public keys ------------------------------------


def test_a_public_key_leaves_the_start_check_master_key_rotation_and_checker_working(
    workspace, personas, settings
):
    register(workspace, personas, "ES256", public_pem(private("ES256")), kid="server-1")
    assert startup.unreadable_secrets()[1] == []
    settings.VERITY_ENCRYPTION_KEYS = [
        Fernet.generate_key().decode(),
        *settings.VERITY_ENCRYPTION_KEYS,
    ]
    call_command("rotate_master_key", stdout=StringIO())
    assert MessengerKey.objects.get(kid="server-1").ciphertext == ""
    # The hash checker's diagnosis tries the HS256 keys (a user_hash made with one), only.
    candidates = candidates_for(workspace, "web")
    assert "server-1" not in json.dumps(candidates, default=str)
    assert secret_of(workspace, "web") == candidates.current
