"""Verity messenger JWT: run on your server, never in the browser.  pip install PyJWT

Set VERITY_MESSENGER_KEY and VERITY_MESSENGER_KID to the current messenger key and its
kid (from the console's JWT keys page); do not write the key into your code.
"""

import os
import sys
import time

import jwt

SESSION_SECONDS = 3600  # the messenger asks your page for a new token after this


def messenger_jwt(user_id: str, email: str | None = None) -> str:
    now = int(time.time())
    claims = {"user_id": user_id, "iat": now, "exp": now + SESSION_SECONDS}
    if email:
        claims["email"] = email
    return jwt.encode(
        claims,
        os.environ["VERITY_MESSENGER_KEY"],
        algorithm="HS256",
        headers={"kid": os.environ["VERITY_MESSENGER_KID"]},
    )


if __name__ == "__main__":
    for user_id in sys.argv[1:]:
        print(messenger_jwt(user_id))
