"""Claim types the gateway and the token debugger refuse (issue 14): exp/nbf/iat must be
JSON numbers (RFC 7519 NumericDate), whatever PyJWT lets through."""

import time
from datetime import UTC, datetime

import jwt
import pytest

from security import jwt_debug, tokens
from security.jwt_debug import DebugKey

KEY = "k" * 40
KID = "kid1"
NOW = int(time.time())


def token(**claims):
    return jwt.encode({"user_id": "42", **claims}, KEY, algorithm="HS256", headers={"kid": KID})


def verify(value):
    return tokens.verify(value, [tokens.KeyCandidate(KID, KEY)], datetime.now(UTC))


def debug(value):
    return jwt_debug.debug(value, [DebugKey(KID, KEY, "current")], [], datetime.now(UTC))


# Each would verify if PyJWT's reading of it were taken: a string it parses as a number,
# or a boolean it counts as 1.
NOT_NUMBERS = [
    ("exp", str(NOW + 600)),
    ("nbf", str(NOW - 60)),
    ("iat", str(NOW - 60)),
    ("exp", f"{NOW + 600}.5"),
    ("nbf", True),
    ("iat", False),
]
NOT_NUMBER_IDS = [
    "exp-string",
    "nbf-string",
    "iat-string",
    "exp-decimal-string",
    "nbf-true",
    "iat-false",
]


@pytest.mark.parametrize("claim, value", NOT_NUMBERS, ids=NOT_NUMBER_IDS)
def test_a_time_claim_that_is_not_a_json_number_is_malformed(claim, value):
    assert verify(token(**{claim: value})).code == tokens.JWT_MALFORMED


@pytest.mark.parametrize(
    "claim, value",
    [("exp", str(NOW - 3600)), ("nbf", str(NOW + 3600)), ("exp", True)],
    ids=["past-exp-string", "future-nbf-string", "exp-true"],
)
def test_a_non_number_is_malformed_even_where_pyjwt_would_call_it_expired_or_early(claim, value):
    # PyJWT reads "…" as a time and fails it on the clock; the type is the real fault.
    assert verify(token(**{claim: value})).code == tokens.JWT_MALFORMED


@pytest.mark.parametrize(
    "offsets, code",
    [
        ({"exp": 600, "nbf": -60, "iat": -60}, None),
        ({"exp": 600.5, "iat": -0.25}, None),  # NumericDate may be fractional
        ({"exp": -3600}, tokens.JWT_EXPIRED),
        ({"nbf": 3600}, tokens.JWT_NOT_YET_VALID),
    ],
)
def test_numbers_are_still_judged_on_the_clock(offsets, code):
    # Relative to when the test runs, not to when the module was imported.
    now = int(time.time())
    assert verify(token(**{claim: now + delta for claim, delta in offsets.items()})).code == code


def test_a_refused_claim_type_is_not_remembered_as_verified():
    value = token(exp=str(NOW + 600))
    verify(value)
    assert tokens.verified_tokens.get(value, KEY) is None
    assert verify(value).code == tokens.JWT_MALFORMED


@pytest.mark.parametrize("claim, value", NOT_NUMBERS, ids=NOT_NUMBER_IDS)
def test_the_debugger_names_the_claim_and_agrees_with_the_gateway(claim, value):
    result = debug(token(**{claim: value}))
    assert result.gateway_code == tokens.JWT_MALFORMED
    assert not result.valid
    (error,) = result.errors
    assert error["code"] == tokens.JWT_MALFORMED
    assert error["message"].startswith(f"{claim} must be a JSON number")
    assert result.times[claim]["error"] == f"{claim} must be a number of seconds."


def test_the_debugger_names_every_such_claim_in_one_finding():
    result = debug(token(exp=str(NOW + 600), nbf=str(NOW - 60)))
    assert result.codes == [tokens.JWT_MALFORMED]
    assert result.errors[0]["message"].startswith("exp and nbf must be a JSON number")
