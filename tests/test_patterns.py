"""The quick reading of simple patterns gives exactly stix2-patterns' answers, for STIX 2.1 and 2.0 patterns."""

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fimishare.ingest.patterns import _read_simple, _read_with_parser, read_pattern

VERSIONS = ("2.1", "2.0")


def agrees(pattern: str) -> None:
    for version in VERSIONS:
        quick = _read_simple(pattern, version)
        if quick is None:
            return  # not of the simple form: the parser reads it
        reference = _read_with_parser(pattern, version)
        assert quick.valid == reference.valid, (version, pattern, quick, reference)
        if reference.valid:
            assert quick.comparisons == reference.comparisons, (version, pattern)
        else:
            assert quick.errors == reference.errors, (version, pattern)


CASES = [
    "[domain-name:value = 'x.com']",
    "[domain-name:value='x.com']",
    "[domain-name:value = 'x.com' ]",
    "[ domain-name:value = 'x.com']",
    "[url:value = 'http://a.example/?q=1' OR url:value != 'b']",
    "[domain-name:value = 'x'] OR [domain-name:value = 'y'] AND [url:value = 'z']",
    "[user-account:account_type = 'twitter' AND user-account:account_login = 'abc']",
    "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
    "[file:hashes.'SHA-256' = 'not-a-hash']",
    "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
    "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427']",
    "[domain-name:value = 'it\\'s']",
    "[domain-name:value = 'back\\\\slash']",
    "[domain-name:value = 'bad\\escape']",
    "[domain-name:value = 'unterminated]",
    "[domain-name:value = 'x'",
    "domain-name:value = 'x'",
    "[domain-name:value = 'x']]",
    "[domain-name:value = 'x'] [url:value = 'y']",
    "[domain-name:value = 'x'] AND",
    "[domain-name:value = 'x'] and [url:value = 'y']",
    "[domain-name:value = 'x' and url:value = 'y']",
    "[x-custom-thing:some_prop = 'v']",
    "[domain-name:value = '日本語.jp']",
    "[domain-name:value = '']",
    "[a:b = 'x']",
    "[domain-name:in = 'x']",
    "[and:value = 'x']",
    "[domain-name:value = 'x'] OR  [url:value = 'y']",
    "[domain-name:value = 'x'] FOLLOWEDBY [url:value = 'y']",
    "[domain-name:value IN ('x', 'y')]",
    "[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\System']",
]


@pytest.mark.parametrize("pattern", CASES)
def test_simple_reading_agrees_with_stix2_patterns(pattern):
    agrees(pattern)
    for version in VERSIONS:
        assert read_pattern(pattern, version).valid == _read_with_parser(pattern, version).valid


def test_the_common_forms_take_the_quick_path():
    for version in VERSIONS:
        assert _read_simple("[domain-name:value = 'x.com'] OR [url:value = 'http://x.com/']", version) is not None
        assert _read_simple("[file:hashes.'SHA-256' = '" + "a" * 64 + "']", version) is not None


_pieces = st.sampled_from(
    [
        "[",
        "]",
        " ",
        "  ",
        "domain-name",
        "url",
        "file",
        "x-y",
        ":",
        "value",
        "hashes",
        ".",
        "'SHA-256'",
        "MD5",
        "=",
        "!=",
        "'a.b'",
        "'it\\'s'",
        "'\\\\'",
        "'",
        "\\",
        " AND ",
        " OR ",
        "AND",
        "or",
        "d41d8cd98f00b204e9800998ecf8427e",
        "a",
        "_",
        "-",
        "IN",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_pieces, min_size=1, max_size=14).map("".join))
def test_random_near_patterns_agree(pattern):
    agrees(pattern)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["domain-name:value", "url:value", "ipv4-addr:value", "file:hashes.MD5", "file:hashes.'SHA-1'", "x-a:b_c"]),
            st.sampled_from(["=", "!=", " = ", "= "]),
            st.text(alphabet=string.printable + "日本", max_size=12),
        ),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from([" AND ", " OR "]),
)
def test_generated_simple_patterns_agree(comparisons, join):
    def literal(text):
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"

    agrees("[" + join.join(f"{path}{op}{literal(value)}" for path, op, value in comparisons) + "]")


def test_every_pattern_from_the_meta_feeds_agrees(shared_data):
    from fimishare.feeds.meta import read_csv_feed

    files = sorted((shared_data / "meta-threat-research" / "indicators" / "csv").rglob("*.csv"))
    patterns = {o["pattern"] for path in files for o in read_csv_feed(path) if o["type"] == "indicator"}
    assert len(patterns) > 1000
    quick = [p for p in patterns if _read_simple(p) is not None]
    assert len(quick) > 0.9 * len(patterns)
    for pattern in sorted(patterns)[::7]:  # the parser is slow: a fixed seventh of them
        agrees(pattern)
