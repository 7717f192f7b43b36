"""Verity messenger JWT signed with YOUR private key (ES256, EdDSA or RS256): run on your
server, never in the browser.  pip install "PyJWT[crypto]"

Register only the public key on the console's JWT keys page. Set VERITY_PRIVATE_KEY_FILE to
the private key's PEM file (PKCS#8, "BEGIN PRIVATE KEY") and VERITY_MESSENGER_KID to the
kid shown beside the public key. The algorithm follows from the key: EC P-256 signs ES256,
Ed25519 signs EdDSA, RSA signs RS256.
"""

import os
import sys
import time
from functools import cache

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

SESSION_SECONDS = 3600  # the messenger asks your page for a new token after this


@cache  # read the key once, on first use
def _private_key():
    with open(os.environ["VERITY_PRIVATE_KEY_FILE"], "rb") as pem:
        key = load_pem_private_key(pem.read(), password=None)
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1":
        return key, "ES256"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key, "EdDSA"
    if isinstance(key, rsa.RSAPrivateKey):
        return key, "RS256"
    raise ValueError("the key must be EC P-256, Ed25519 or RSA")


def messenger_jwt(user_id: str, email: str | None = None) -> str:
    key, algorithm = _private_key()
    now = int(time.time())
    claims = {"user_id": user_id, "iat": now, "exp": now + SESSION_SECONDS}
    if email:
        claims["email"] = email
    return jwt.encode(
        claims,
        key,
        algorithm=algorithm,
        headers={"kid": os.environ["VERITY_MESSENGER_KID"]},
    )


if __name__ == "__main__":
    for user_id in sys.argv[1:]:
        print(messenger_jwt(user_id))
