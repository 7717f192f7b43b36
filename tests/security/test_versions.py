"""security.versions: the order of app versions (semantic versioning, numbers as numbers)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from security.versions import compare, is_below, is_release, parse

numbers = st.lists(st.integers(0, 10**6), min_size=1, max_size=4)
identifier = st.one_of(
    st.integers(0, 10**4).map(str),
    st.from_regex(r"[A-Za-z-][0-9A-Za-z-]{0,6}", fullmatch=True),
)
pre_releases = st.lists(identifier, min_size=1, max_size=3).map(".".join)


def text(parts, pre=None, build=None):
    version = ".".join(map(str, parts))
    if pre:
        version += f"-{pre}"
    if build:
        version += f"+{build}"
    return version


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("5.9.1", "5.10.0"),
        ("5.2.0", "5.2.1"),
        ("4.99.99", "5.0.0"),
        ("5.2.0-beta", "5.2.0"),
        ("5.2.0-alpha", "5.2.0-alpha.1"),
        ("5.2.0-alpha.1", "5.2.0-alpha.beta"),
        ("5.2.0-beta.2", "5.2.0-beta.11"),
        ("5.2.0-rc.1", "5.2.0"),
        ("5.2", "5.2.0.1"),
        ("1.0.0-9", "1.0.0-a"),
    ],
)
def test_versions_sort_as_semver_with_numbers_compared_as_numbers(older, newer):
    assert compare(older, newer) == -1
    assert compare(newer, older) == 1


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("5.2", "5.2.0"),
        ("5", "5.0.0.0"),
        ("v5.2.0", "5.2.0"),
        ("05.02.0", "5.2.0"),
        ("5.2.0+417", "5.2.0"),
    ],
)
def test_missing_components_leading_zeros_a_v_and_build_metadata_change_nothing(a, b):
    assert compare(a, b) == 0


@pytest.mark.parametrize(
    "junk",
    ["", "latest", "5.2.x", "5.2.0.1.2", "5..2", ".5", "5.2.", "5.2.0-", "5.2.0+", "٥.٢"]
    + [" 5.2", "5.2.0 ", "5.2.0-bé", "1" * 65],
)
def test_what_is_not_a_version_does_not_parse_and_is_never_below(junk):
    assert parse(junk) is None
    assert not is_below(junk, parse("99.0.0"))


def test_a_missing_version_is_never_below():
    assert not is_below(None, parse("5.2.0"))


def test_only_plain_releases_may_be_a_minimum():
    assert is_release("5.2.0") and is_release("5") and is_release("5.2.0.1")
    for text_ in ("5.2.0-beta", "v5.2.0", "5.2.0+1", "", "5.2.x", None, "1" * 65):
        assert not is_release(text_)


@given(numbers, numbers)
def test_numeric_versions_order_like_their_padded_numbers(a, b):
    pad = lambda parts: parts + [0] * (4 - len(parts))  # noqa: E731
    expected = (pad(a) > pad(b)) - (pad(a) < pad(b))
    assert compare(text(a), text(b)) == expected


@given(numbers, pre_releases, st.one_of(st.none(), pre_releases))
def test_a_pre_release_sorts_before_its_release_and_build_is_ignored(parts, pre, build):
    assert compare(text(parts, pre), text(parts)) == -1
    assert compare(text(parts, pre, build), text(parts, pre)) == 0
    assert is_below(text(parts, pre), parse(text(parts)))


@given(st.lists(st.tuples(numbers, st.one_of(st.none(), pre_releases)), min_size=3, max_size=3))
def test_the_order_is_total_and_transitive(triple):
    a, b, c = (text(parts, pre) for parts, pre in triple)
    assert compare(a, b) == -compare(b, a)
    if compare(a, b) <= 0 and compare(b, c) <= 0:
        assert compare(a, c) <= 0


@given(numbers, numbers)
def test_below_the_minimum_means_sorting_before_it(version, minimum):
    below = compare(text(version), text(minimum)) < 0
    assert is_below(text(version), parse(text(minimum))) == below


@given(st.text(max_size=70))
def test_no_text_makes_parsing_fail_with_an_exception(value):
    key = parse(value)
    assert key is None or isinstance(key, tuple)
    assert is_below(value, parse("1.0.0")) in (True, False)
