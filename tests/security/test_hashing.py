"""security.hashing against RFC 4231 (HMAC-SHA256) and the identifier rules."""

import hashlib
import hmac

import pytest

from security import hashing

# RFC 4231 test cases 1, 2, 6 and 7: (key, data, HMAC-SHA256).
RFC4231 = [
    (
        bytes.fromhex("0b" * 20),
        b"Hi There",
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    ),
    (
        b"Jefe",
        b"what do ya want for nothing?",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ),
    (
        bytes.fromhex("aa" * 131),
        b"Test Using Larger Than Block-Size Key - Hash Key First",
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ),
    (
        bytes.fromhex("aa" * 131),
        b"This is a test using a larger than block-size key and a larger than block-size "
        b"data. The key needs to be hashed before being used by the HMAC algorithm.",
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ),
]


@pytest.mark.parametrize(("key", "data", "expected"), RFC4231)
def test_rfc4231_vectors(key, data, expected):
    assert hashing.hmac_sha256_hex(key, data) == expected
    if key == b"Jefe":  # the one vector whose key and data are text
        assert hashing.user_hash("Jefe", data.decode()) == expected


def test_user_hash_uses_utf8_of_secret_and_identifier():
    expected = hmac.new("sécret".encode(), "ünïcode+tag@example.com".encode(), hashlib.sha256)
    assert hashing.user_hash("sécret", "ünïcode+tag@example.com") == expected.hexdigest()


def test_user_id_wins_over_email():
    assert hashing.identifier_for("42", "ann@example.com") == ("user_id", "42")
    assert hashing.identifier_for(None, "ann@example.com") == ("email", "ann@example.com")
    assert hashing.identifier_for(None, None) == (None, None)


def test_hash_accepted_in_either_case_and_nothing_else():
    good = hashing.user_hash("s3cret", "42")
    assert hashing.hash_matches("s3cret", "42", good)
    assert hashing.hash_matches("s3cret", "42", good.upper())
    assert not hashing.hash_matches("s3cret", "42", good[:-1])
    assert not hashing.hash_matches("s3cret", "42", " " + good)
    assert not hashing.hash_matches("s3cret", "43", good)
    assert not hashing.hash_matches("s3cret", "42", "é" * 64)


def test_identifiers_are_not_trimmed_or_case_folded():
    assert hashing.user_hash("k", "Ann@Example.com") != hashing.user_hash("k", "ann@example.com")
    assert hashing.user_hash("k", " 42") != hashing.user_hash("k", "42")


def test_matching_secret_names_the_secret_that_made_the_hash():
    candidates = [("hmac:web:v2", "new"), ("hmac:web:v1", "old")]
    assert hashing.matching_secret(candidates, "42", hashing.user_hash("old", "42")) == (
        "hmac:web:v1"
    )
    assert hashing.matching_secret(candidates, "42", hashing.user_hash("other", "42")) is None
