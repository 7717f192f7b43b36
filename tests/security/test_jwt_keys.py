"""Key rotation, grace and revocation (security.jwt_actions), seen at the gateway."""

import json
import time
from datetime import timedelta

import jwt
import pytest
from authlib.jose import jwt as authlib_jwt
from django.utils import timezone

from security.actions import jwt_keys as jwt_actions
from security.actions import tools
from security.actions.platforms import set_enforcement
from security.models import MessengerKey
from security.reauth import Proof
from tests.factories import current_key
from workspaces.models import AuditEvent
from workspaces.refusals import Refused

pytestmark = pytest.mark.django_db


def sign(key, kid=None, **claims):
    claims = {"user_id": "42", "exp": int(time.time()) + 600, **claims}
    return jwt.encode(claims, key, algorithm="HS256", headers={"kid": kid} if kid else None)


def ping(client, workspace, token):
    body = {"app_id": workspace.app_id, "platform": "web", "user_jwt": token}
    response = client.post("/messenger/v1/ping", json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


@pytest.fixture
def enforced(workspace, personas):
    set_enforcement(workspace, "web", True, actor=personas["admin"])
    return workspace


def rotate(workspace, actor, grace_hours=24, older_key=None):
    return jwt_actions.rotate_messenger_key(
        workspace, grace_hours=grace_hours, older_key=older_key, actor=actor
    )


def test_rotation_makes_a_new_server_generated_key_current(workspace, personas):
    old_kid, old_key = current_key(workspace)
    new = rotate(workspace, personas["admin"], grace_hours=24)
    kid, key = current_key(workspace)
    assert kid == new.kid != old_kid and key != old_key
    assert len(key) >= 43  # 256 random bits, url-safe base64
    old = MessengerKey.objects.get(workspace=workspace, kid=old_kid)
    assert old.state() == "grace"
    assert timedelta(hours=23, minutes=59) < old.valid_until - timezone.now() <= timedelta(hours=24)
    event = AuditEvent.objects.get(action="jwt_key.rotated")
    assert event.after["previous"] == old_kid and event.after["grace_hours"] == 24
    assert key not in json.dumps(event.after) and old_key not in json.dumps(event.before)


def test_old_key_is_accepted_inside_the_grace_window(client, enforced, personas):
    old_kid, old_key = current_key(enforced)
    rotate(enforced, personas["admin"], grace_hours=1)
    status, body = ping(client, enforced, sign(old_key, old_kid))
    assert (status, body["identity"]) == (200, "verified")


def test_old_and_new_keys_verify_during_grace(client, enforced, personas):
    old_kid, old_key = current_key(enforced)
    rotate(enforced, personas["admin"], grace_hours=1)
    new_kid, new_key = current_key(enforced)
    for token in (sign(old_key, old_kid), sign(new_key, new_kid), sign(old_key), sign(new_key)):
        status, body = ping(client, enforced, token)
        assert (status, body["identity"]) == (200, "verified")


def test_old_key_is_refused_after_the_grace_window(client, enforced, personas):
    old_kid, old_key = current_key(enforced)
    rotate(enforced, personas["admin"], grace_hours=1)
    assert ping(client, enforced, sign(old_key, old_kid))[0] == 200
    # The window passes: the gateway decides by valid_until, which is now in the past.
    MessengerKey.objects.filter(kid=old_kid).update(
        valid_until=timezone.now() - timedelta(seconds=1)
    )
    from workspaces.actions import mark_config_changed

    mark_config_changed(enforced)
    status, body = ping(client, enforced, sign(old_key, old_kid))
    assert (status, body["error"]) == (401, "jwt_unknown_key")
    status, body = ping(client, enforced, sign(old_key))
    assert (status, body["error"]) == (401, "jwt_invalid_signature")


def test_a_grace_of_zero_stops_the_old_key_at_once(client, enforced, personas):
    old_kid, old_key = current_key(enforced)
    rotate(enforced, personas["admin"], grace_hours=0)
    assert MessengerKey.objects.get(kid=old_kid).state() == "expired"
    assert ping(client, enforced, sign(old_key, old_kid))[0] == 401


def test_revoke_refuses_the_key_at_once_at_the_gateway(client, enforced, personas):
    old_kid, old_key = current_key(enforced)
    rotate(enforced, personas["admin"], grace_hours=48)
    assert ping(client, enforced, sign(old_key, old_kid))[0] == 200
    jwt_actions.revoke_messenger_key(enforced, old_kid, actor=personas["admin"])
    status, body = ping(client, enforced, sign(old_key, old_kid))
    assert (status, body["error"]) == (401, "jwt_unknown_key")
    assert AuditEvent.objects.filter(action="jwt_key.revoked", target=old_kid).exists()


def test_the_current_key_cannot_be_revoked(workspace, personas):
    kid, _ = current_key(workspace)
    with pytest.raises(Refused) as error:
        jwt_actions.revoke_messenger_key(workspace, kid, actor=personas["admin"])
    assert error.value.code == "current_key"


def test_a_key_cannot_be_revoked_twice(workspace, personas):
    old_kid, _ = current_key(workspace)
    rotate(workspace, personas["admin"])
    jwt_actions.revoke_messenger_key(workspace, old_kid, actor=personas["admin"])
    with pytest.raises(Refused) as error:
        jwt_actions.revoke_messenger_key(workspace, old_kid, actor=personas["admin"])
    assert error.value.code == "already_revoked"


def test_a_second_rotation_during_grace_asks_about_the_older_key(workspace, personas):
    first_kid, _ = current_key(workspace)
    rotate(workspace, personas["admin"])
    with pytest.raises(Refused) as error:
        rotate(workspace, personas["admin"])
    assert error.value.code == "older_key_in_grace"
    assert [k["kid"] for k in error.value.extra["older_keys"]] == [first_kid]
    assert MessengerKey.objects.filter(workspace=workspace).count() == 2


def test_a_second_rotation_can_end_the_older_grace_now(client, workspace, personas):
    first_kid, first_key = current_key(workspace)
    rotate(workspace, personas["admin"])
    second_kid, _ = current_key(workspace)
    rotate(workspace, personas["admin"], older_key="end_now")
    states = {k.kid: k.state() for k in MessengerKey.objects.filter(workspace=workspace)}
    assert states[first_kid] == "expired" and states[second_kid] == "grace"
    _, body = ping(client, workspace, sign(first_key, first_kid))
    assert body["warning"] == "jwt_unknown_key"


def test_a_second_rotation_can_keep_the_older_deadline(workspace, personas):
    first_kid, _ = current_key(workspace)
    rotate(workspace, personas["admin"], grace_hours=5)
    deadline = MessengerKey.objects.get(kid=first_kid).valid_until
    rotate(workspace, personas["admin"], grace_hours=24, older_key="keep")
    first = MessengerKey.objects.get(kid=first_kid)
    assert first.state() == "grace" and first.valid_until == deadline
    assert (
        MessengerKey.objects.filter(workspace=workspace, valid_until__gt=timezone.now()).count()
        == 2
    )


@pytest.mark.parametrize("hours", [-1, 169, "soon", 1.5, True, [24]])
def test_grace_outside_0_to_168_hours_is_refused(workspace, personas, hours):
    with pytest.raises(Refused) as error:
        rotate(workspace, personas["admin"], grace_hours=hours)
    assert (error.value.code, error.value.status) == ("invalid_grace_hours", 400)


def test_tokens_minted_by_authlib_are_accepted(client, enforced):
    kid, key = current_key(enforced)
    claims = {"user_id": "42", "email": "ann@example.com", "exp": int(time.time()) + 300}
    token = authlib_jwt.encode({"alg": "HS256", "kid": kid}, claims, key).decode()
    status, body = ping(client, enforced, token)
    assert (status, body["identity"]) == (200, "verified")


def test_authlib_tokens_signed_with_a_revoked_key_are_refused(client, enforced, personas):
    old_kid, old_key = current_key(enforced)
    rotate(enforced, personas["admin"])
    jwt_actions.revoke_messenger_key(enforced, old_kid, actor=personas["admin"])
    token = authlib_jwt.encode({"alg": "HS256"}, {"user_id": "42"}, old_key).decode()
    status, body = ping(client, enforced, token)
    assert (status, body["error"]) == (401, "jwt_invalid_signature")


def test_reveal_returns_the_key_and_audits_without_it(workspace, personas):
    kid, key = current_key(workspace)
    assert (
        jwt_actions.reveal_messenger_key(
            workspace, kid, actor=personas["developer"], proof=Proof(recently_confirmed=True)
        )
        == key
    )
    event = AuditEvent.objects.get(action="jwt_key.revealed")
    assert event.target == kid and key not in json.dumps([event.before, event.after])


def test_debugging_is_audited_without_the_token(workspace, personas):
    kid, key = current_key(workspace)
    token = sign(key, kid)
    result = tools.debug_token(workspace, token, actor=personas["viewer"])
    assert result.valid
    event = AuditEvent.objects.get(action="jwt.debugged")
    assert event.after == {"valid": True, "codes": []}
    assert token not in json.dumps([event.before, event.after, event.target])


def test_the_debugger_sees_grace_ended_keys_of_the_workspace(workspace, personas):
    old_kid, old_key = current_key(workspace)
    rotate(workspace, personas["admin"], grace_hours=0)
    result = tools.debug_token(workspace, sign(old_key, old_kid), actor=personas["admin"])
    assert result.codes == ["jwt_key_grace_ended"]


def test_the_debugger_spots_the_identity_secret(workspace, personas):
    from tests.factories import secret_of

    result = tools.debug_token(
        workspace, sign(secret_of(workspace, "ios")), actor=personas["admin"]
    )
    assert result.codes == ["jwt_signed_with_identity_secret"]
    assert "ios" in result.errors[0]["message"]
