"""The pure diagnosis of a user_hash: one test per code, combinations, properties."""

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from security import diagnosis as d
from security import hashing
from security.hashing import user_hash

WEB = "web-secret-v2"
WEB_V1 = "web-secret-v1"
IOS = "ios-secret"
ANDROID = "android-secret"
TWIN_WEB = "twin-web-secret"
TWIN_IOS = "twin-ios-secret"
JWT_KEY = "messenger-key"

CANDIDATES = d.Candidates(
    current=WEB,
    current_version=2,
    other_platforms=(("ios", IOS), ("android", ANDROID)),
    twin_name="[TEST] Acme",
    twin_app_id="t3st1d00",
    twin_secrets=(("web", TWIN_WEB), ("ios", TWIN_IOS)),
    retired=((1, WEB_V1),),
    jwt_keys=(("mk_1234abcd", JWT_KEY),),
)


def check(given_hash, user_id=None, email=None, candidates=CANDIDATES, platform="web"):
    return d.diagnose(platform, user_id, email, given_hash, candidates)


def only(result, code):
    assert result.match is False
    assert result.codes == [code]
    return result.findings[0].message


def test_right_hash_matches_without_findings():
    result = check(user_hash(WEB, "42"), user_id="42", email="ann@example.com")
    assert result.match is True
    assert result.findings == ()
    assert result.identifier_type == "user_id"
    assert result.expected_hash == user_hash(WEB, "42")


def test_uppercase_hex_is_accepted():
    assert check(user_hash(WEB, "42").upper(), user_id="42").match is True


def test_without_hash_only_the_expected_hash_is_given():
    result = check(None, email="ann@example.com")
    assert result.match is None
    assert result.expected_hash == user_hash(WEB, "ann@example.com")
    assert result.identifier_type == "email"
    assert "no user_id" in result.identifier_reason


def test_user_id_wins_and_the_reason_says_so():
    result = check(None, user_id="42", email="ann@example.com")
    assert result.identifier_type == "user_id"
    assert "email is not part of the hash" in result.identifier_reason


def test_email_hashed_instead_of_user_id():
    result = check(user_hash(WEB, "ann@example.com"), user_id="42", email="ann@example.com")
    message = only(result, d.EMAIL_HASHED_INSTEAD_OF_USER_ID)
    assert "Hash the user_id" in message


def test_other_platform_secret_names_the_platform():
    message = only(check(user_hash(IOS, "42"), user_id="42"), d.OTHER_PLATFORM_SECRET)
    assert "iOS secret" in message and "Web" in message


def test_twin_workspace_secret_names_the_twin():
    message = only(check(user_hash(TWIN_WEB, "42"), user_id="42"), d.TWIN_WORKSPACE_SECRET)
    assert "[TEST] Acme" in message and "t3st1d00" in message


def test_twin_secret_of_another_platform_names_that_platform():
    message = only(check(user_hash(TWIN_IOS, "42"), user_id="42"), d.TWIN_WORKSPACE_SECRET)
    assert "iOS secret of [TEST] Acme" in message


def test_previous_secret_names_both_versions():
    message = only(check(user_hash(WEB_V1, "42"), user_id="42"), d.PREVIOUS_SECRET)
    assert "(v1)" in message and "(v2)" in message


def test_jwt_key_used_names_the_kid():
    message = only(check(user_hash(JWT_KEY, "42"), user_id="42"), d.JWT_KEY_USED)
    assert "mk_1234abcd" in message and "user_jwt" in message


def test_identifier_hashed_in_lower_case():
    message = only(
        check(user_hash(WEB, "ann@example.com"), email="Ann@Example.com"), d.IDENTIFIER_CASE
    )
    assert "lower case" in message


def test_identifier_hashed_in_upper_case():
    message = only(check(user_hash(WEB, "ABC-1"), user_id="abc-1"), d.IDENTIFIER_CASE)
    assert "upper case" in message


def test_whitespace_around_the_hash():
    result = check(f"  {user_hash(WEB, '42')}\n", user_id="42")
    message = only(result, d.SURROUNDING_WHITESPACE)
    assert "around it" in message and "user_hash" in message


def test_identifier_hashed_with_a_trailing_newline():
    message = only(check(user_hash(WEB, "42\n"), user_id="42"), d.SURROUNDING_WHITESPACE)
    assert "trailing newline" in message


def test_identifier_sent_with_whitespace_but_hashed_trimmed():
    message = only(check(user_hash(WEB, "42"), user_id=" 42 "), d.SURROUNDING_WHITESPACE)
    assert "sent with whitespace" in message


def test_plain_sha256():
    plain = hashlib.sha256(b"42").hexdigest()
    assert "HMAC-SHA256" in only(check(plain, user_id="42"), d.PLAIN_SHA256)


def test_malformed_hash_of_the_wrong_length():
    message = only(check("abc123", user_id="42"), d.MALFORMED_HASH)
    assert "6 characters" in message


def test_malformed_hash_with_non_hex_characters():
    message = only(check("g" * 64, user_id="42"), d.MALFORMED_HASH)
    assert '"g"' in message


def test_the_malformed_hash_message_says_either_case_is_accepted():
    message = only(check("abc123", user_id="42"), d.MALFORMED_HASH)
    assert "lowercase hex" not in message
    assert "upper or lower case" in message
    # ...which is true: the upper-case digest of the right HMAC is accepted.
    right = hmac.new(WEB.encode(), b"42", hashlib.sha256).hexdigest()
    assert hashing.hash_matches(WEB, "42", right.upper())
    assert hashing.is_well_formed(right.upper())


def test_base64_digest_is_called_out():
    import base64
    import hmac

    raw = hmac.new(WEB.encode(), b"42", hashlib.sha256).digest()
    message = only(check(base64.b64encode(raw).decode(), user_id="42"), d.MALFORMED_HASH)
    assert "base64" in message


def test_hash_without_identifier():
    result = check(user_hash(WEB, "42"))
    message = only(result, d.IDENTIFIER_MISSING)
    assert result.identifier_type is None and result.expected_hash is None
    assert "user_id" in message


def test_unknown_cause():
    message = only(check("0" * 64, user_id="42"), d.NO_KNOWN_CAUSE)
    assert "Web secret" in message


def test_email_hashed_with_another_platforms_secret_gives_both_findings():
    result = check(user_hash(ANDROID, "ann@example.com"), user_id="7", email="ann@example.com")
    assert result.codes == [d.EMAIL_HASHED_INSTEAD_OF_USER_ID, d.OTHER_PLATFORM_SECRET]


def test_lower_cased_email_with_previous_secret_and_padded_hash_gives_three_findings():
    made = user_hash(WEB_V1, "ann@example.com")
    result = check(f"{made}\n", email="Ann@Example.com")
    assert result.codes == [d.SURROUNDING_WHITESPACE, d.IDENTIFIER_CASE, d.PREVIOUS_SECRET]


def test_whitespace_and_malformed_hash_both_reported():
    assert check(" xyz ", user_id="42").codes == [d.SURROUNDING_WHITESPACE, d.MALFORMED_HASH]


def test_unicode_identifier_is_hashed_as_utf8():
    result = check(user_hash(WEB, "Zoë+tag@exämple.com"), email="Zoë+tag@exämple.com")
    assert result.match is True


def test_unicode_identifier_in_other_case_is_diagnosed():
    made = user_hash(WEB, "ÅSA-ÖBERG")
    assert check(made, user_id="åsa-öberg").codes == [d.IDENTIFIER_CASE]


def test_no_secret_means_no_expected_hash():
    result = check("0" * 64, user_id="42", candidates=d.Candidates())
    assert result.expected_hash is None
    assert result.codes == [d.NO_KNOWN_CAUSE]


def test_every_finding_code_is_in_the_spec_list():
    assert set(d.CODES) == {
        "email_hashed_instead_of_user_id",
        "other_platform_secret",
        "twin_workspace_secret",
        "previous_secret",
        "jwt_key_used",
        "identifier_case",
        "surrounding_whitespace",
        "plain_sha256",
        "malformed_hash",
        "identifier_missing",
        "no_known_cause",
    }


identifiers = st.text(min_size=1, max_size=80)
secrets_ = st.text(min_size=1, max_size=64)


@given(secret=secrets_, user_id=identifiers, email=st.none() | identifiers)
def test_a_hash_made_with_the_right_secret_always_matches(secret, user_id, email):
    candidates = d.Candidates(current=secret, other_platforms=(("ios", secret + "x"),))
    result = d.diagnose("web", user_id, email, user_hash(secret, user_id), candidates)
    assert result.match is True
    assert result.findings == ()


@given(secret=secrets_, identifier=identifiers, given_hash=st.text(max_size=80))
def test_any_mismatch_has_at_least_one_finding_with_a_known_code(secret, identifier, given_hash):
    candidates = d.Candidates(current=secret)
    result = d.diagnose("android", identifier, None, given_hash, candidates)
    if not result.match:
        assert result.findings
        assert all(f.code in d.CODES and f.message for f in result.findings)
