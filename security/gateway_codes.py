"""The gateway's answer codes and the sentence each one carries (SPEC §3): one table, read
by the gateway's answers, the verification log and the OpenAPI description. Pure."""

from workspaces.domains import MAX_ORIGIN_LENGTH

from . import tokens

MISSING_USER_HASH = "missing_user_hash"
INVALID_USER_HASH = "invalid_user_hash"
HMAC_NOT_ALLOWED = "hmac_not_allowed"
UNTRUSTED_DOMAIN = "untrusted_domain"
UNKNOWN_APP = "unknown_app"
BAD_REQUEST = "bad_request"
INVALID_ORIGIN = "invalid_origin"
DUPLICATE_KEY = "duplicate_key"
APP_VERSION_BELOW_MINIMUM = "app_version_below_minimum"
# Malformed input refused with a 400 of its own code (not bad_request, which names fields).
INPUT_ERRORS = (DUPLICATE_KEY, INVALID_ORIGIN)
# Warnings about the platform's policy, sent beside a proof failure's own warning.
POLICY_WARNINGS = (APP_VERSION_BELOW_MINIMUM,)

MESSAGES = {
    MISSING_USER_HASH: (
        "This request identifies a user (user_id or email) but carries no user_hash or "
        "user_jwt. Generate a user_hash (or a JWT) on your server for every logged-in user "
        "and send it with the identifier."
    ),
    INVALID_USER_HASH: (
        "The user_hash does not match. It must be the hex HMAC-SHA256 of the user_id (or "
        "the email when no user_id is sent), keyed with this platform's identity "
        "verification secret. Use the hash checker in the console to find out why."
    ),
    HMAC_NOT_ALLOWED: (
        "This platform no longer accepts user_hash proofs. Send a user_jwt signed with "
        "your messenger key instead."
    ),
    tokens.JWT_MALFORMED: (
        "The user_jwt is not a well-formed JSON Web Token (three base64url parts with a "
        "JSON header and payload, numeric exp/nbf/iat)."
    ),
    tokens.JWT_BAD_ALGORITHM: (
        "The user_jwt must be signed with HS256 and a messenger key, or with ES256, EdDSA or "
        "RS256 and the private key of a public key registered in this workspace; its alg is "
        "none of the algorithms this workspace's keys allow."
    ),
    tokens.JWT_ALGORITHM_NOT_ALLOWED: (
        "The user_jwt's kid names a key pinned to another algorithm than the token's alg. "
        "Each key verifies one algorithm only: sign with the algorithm the key was "
        "registered for."
    ),
    tokens.JWT_KID_REQUIRED: (
        "The user_jwt is signed with a public-key algorithm but has no kid, and this "
        "workspace has more than one key. Put the kid of the registered public key in the "
        "token's header."
    ),
    tokens.JWT_EMBEDDED_KEY: (
        "The user_jwt's header carries or points at a key (jwk, jku, x5u or x5c). Keys are "
        "registered in the console, never taken from the token: leave those headers out."
    ),
    tokens.JWT_UNKNOWN_KEY: (
        "The user_jwt's kid names no valid messenger key of this workspace (unknown, "
        "revoked, or past its grace period). Sign with the current key."
    ),
    tokens.JWT_INVALID_SIGNATURE: (
        "The user_jwt's signature does not verify with any valid messenger key of this "
        "workspace. Sign it with the current messenger key (not the identity secret)."
    ),
    tokens.JWT_EXPIRED: "The user_jwt has expired (exp is in the past). Send a fresh token.",
    tokens.JWT_NOT_YET_VALID: (
        "The user_jwt is not valid yet (nbf or iat is in the future). Check your server's clock."
    ),
    tokens.JWT_MISSING_USER_ID: "The user_jwt must carry a non-empty string user_id claim.",
    tokens.JWT_USER_MISMATCH: (
        "The user_id or email in the request differs from the one inside the user_jwt (an "
        "email in the request needs the same email claim in the token). Send the same "
        "values, or leave them out of the request."
    ),
    UNTRUSTED_DOMAIN: (
        "This page's origin is not on the workspace's trusted-domain list. Add it in the "
        "console if it is yours."
    ),
    UNKNOWN_APP: "No workspace has this app_id. Copy the app_id from your console.",
    DUPLICATE_KEY: (
        "The body repeats a key. Send each field once: JSON parsers disagree on which "
        "copy counts, so the gateway accepts neither."
    ),
    APP_VERSION_BELOW_MINIMUM: (
        "This platform enforces identity verification from a minimum app version on, and "
        "this app_version is older: its request is served without a valid proof only until "
        "the sunset date (sunset_at, null when none is set), then refused like the rest. "
        "Ship a version that sends a user_hash or user_jwt."
    ),
    INVALID_ORIGIN: (
        f"The Origin header is not a URL origin (scheme://host[:port], at most "
        f"{MAX_ORIGIN_LENGTH} characters). Browsers set it themselves: do not set it by hand."
    ),
}
