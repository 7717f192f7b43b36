"""Public-key tokens through the real gateway endpoint (issue 19): the customer's server
signs with its own private key, minted here by an independent implementation (node
``jose``), and the gateway verifies with the registered public key only."""

import json
import shutil
import subprocess
import time
from pathlib import Path

import jwt
import pytest

from security.actions.jwt_keys import register_public_key, revoke_messenger_key
from security.actions.platforms import set_enforcement
from tests.factories import current_key
from tests.services import require

URL = "/messenger/v1/ping"
NODE_TOOLS = Path(__file__).resolve().parents[1] / "node"
# Node generates the key pair, prints the public JWK and a token signed with the private
# key; the private key never leaves the node process.
MINT = """
const jose = require('jose');
const [alg, kid, userId] = process.argv.slice(1);
(async () => {
  const opts = alg === 'RS256' ? {modulusLength: 2048} : (alg === 'EdDSA' ? {crv: 'Ed25519'} : {});
  const {publicKey, privateKey} = await jose.generateKeyPair(alg, opts);
  const jwk = await jose.exportJWK(publicKey);
  const token = await new jose.SignJWT({user_id: userId})
    .setProtectedHeader({alg, kid}).setIssuedAt().setExpirationTime('10m').sign(privateKey);
  process.stdout.write(JSON.stringify({jwk, token}));
})();
"""

pytestmark = pytest.mark.django_db


def node_jose():
    if shutil.which("node") is None:
        return False
    found = subprocess.run(
        ["node", "-e", "require.resolve('jose')"], cwd=NODE_TOOLS, capture_output=True, check=False
    )
    return found.returncode == 0


def minted(algorithm, kid, user_id="42"):
    if not node_jose():
        require("node jose", "run: npm install --prefix tests/node")
    done = subprocess.run(
        ["node", "-e", MINT, algorithm, kid, user_id],
        cwd=NODE_TOOLS,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    out = json.loads(done.stdout)
    assert "d" not in out["jwk"]
    return json.dumps(out["jwk"]), out["token"]


def ping(client, workspace, token, **fields):
    body = {"app_id": workspace.app_id, "platform": "ios", "user_jwt": token, **fields}
    return client.post(URL, json.dumps(body), content_type="application/json")


@pytest.fixture
def enforced(workspace, personas):
    set_enforcement(workspace, "ios", True, actor=None)
    return workspace


@pytest.mark.parametrize("algorithm", ["ES256", "EdDSA", "RS256"])
def test_a_node_jose_token_verifies_with_the_registered_public_key(
    client, enforced, personas, algorithm
):
    jwk, token = minted(algorithm, f"srv-{algorithm.lower()}")
    register_public_key(
        enforced,
        algorithm=algorithm,
        public_key=jwk,
        kid=f"srv-{algorithm.lower()}",
        actor=personas["admin"],
    )
    response = ping(client, enforced, token)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["identity"] == "verified"
    mismatch = ping(client, enforced, token, user_id="7")
    assert (mismatch.status_code, mismatch.json()["error"]) == (401, "jwt_user_mismatch")


def test_a_revoked_public_key_stops_verifying_at_once(client, enforced, personas):
    jwk, token = minted("ES256", "srv-1")
    register_public_key(
        enforced, algorithm="ES256", public_key=jwk, kid="srv-1", actor=personas["admin"]
    )
    assert ping(client, enforced, token).status_code == 200
    revoke_messenger_key(enforced, "srv-1", actor=personas["admin"])
    response = ping(client, enforced, token)
    assert (response.status_code, response.json()["error"]) == (401, "jwt_unknown_key")


def test_confusion_at_the_gateway_names_the_cause(client, enforced, personas):
    jwk, token = minted("ES256", "srv-1")
    register_public_key(
        enforced, algorithm="ES256", public_key=jwk, kid="srv-1", actor=personas["admin"]
    )
    hs_kid, hs_key = current_key(enforced)
    claims = {"user_id": "42", "exp": int(time.time()) + 600}
    # An HS256 token naming the ES256 key, and an ES256 token naming the HS256 key.
    hs_naming_public = jwt.encode(claims, hs_key, algorithm="HS256", headers={"kid": "srv-1"})
    _, es_naming_hs = minted("ES256", hs_kid)
    for token, code in (
        (hs_naming_public, "jwt_algorithm_not_allowed"),
        (es_naming_hs, "jwt_algorithm_not_allowed"),
        (minted("ES256", "srv-unknown")[1], "jwt_unknown_key"),
    ):
        response = ping(client, enforced, token)
        assert (response.status_code, response.json()["error"]) == (401, code)
        assert response.json()["message"]
    unsigned = jwt.encode(
        {"user_id": "42"}, None, algorithm="none", headers={"kid": "srv-1", "jku": "https://x"}
    )
    response = ping(client, enforced, unsigned)
    assert (response.status_code, response.json()["error"]) == (401, "jwt_bad_algorithm")
