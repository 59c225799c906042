import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fimishare.ingest.observables import KINDS, extract, guess_kind, normalise, refang


@pytest.mark.parametrize(
    "text, expected",
    [
        ("dhakatv[.]net ", "dhakatv.net"),
        ("hxxps://gagauzia24[.]info/", "https://gagauzia24.info/"),
        ("hxxp[:]//example(.)com/a", "http://example.com/a"),
        ("HXXPS[://]example{.}com", "https://example.com"),
        ("example[dot]org", "example.org"),
        ("info[at]amc239[.]com", "info@amc239.com"),
        ("user[@]mail[.]ru", "user@mail.ru"),
        ("45[.]141[.]152[.]19", "45.141.152.19"),
        ("  plain.com\n", "plain.com"),
        ("[[.]]", "."),
    ],
)
def test_refang(text, expected):
    assert refang(text) == expected


@pytest.mark.parametrize(
    "kind, value, expected",
    [
        ("domain", "Example[.]COM.", "example.com"),
        ("domain", "xn--80ak6aa92e[.]COM", "xn--80ak6aa92e.com"),
        ("url", "HXXPS://WWW.Example[.]COM/Path?Q=A", "https://www.example.com/Path?Q=A"),
        ("url", "http://jgtm[.]org/", "http://jgtm.org/"),
        ("url", "Twitter[.]com/TonmoyBuet", "twitter.com/TonmoyBuet"),
        ("url", "https://User@Host.COM:8080/X", "https://User@host.com:8080/X"),
        ("ipv4", "045.141.152.019".replace("045", "45").replace("019", "19"), "45.141.152.19"),
        ("ipv4", "10.0.0.1/32", "10.0.0.1"),
        ("ipv4", "10.0.0.7/24", "10.0.0.0/24"),
        ("ipv6", "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("ipv6", "[2001:db8::1]", "2001:db8::1"),
        ("ipv6", "::FFFF:1.2.3.4", "::ffff:102:304"),
        ("email", "Info[at]AMC239[.]com", "info@amc239.com"),
        ("hash", "ABCDEF0123456789ABCDEF0123456789", "abcdef0123456789abcdef0123456789"),
        ("account", "@SomeHandle", "somehandle"),
        ("hashtag", "#FreeSpeech", "freespeech"),
    ],
)
def test_normalise(kind, value, expected):
    assert normalise(kind, value) == expected


def test_normalise_unknown_kind():
    with pytest.raises(ValueError):
        normalise("phone", "+1 555")


@pytest.mark.parametrize(
    "value, kind",
    [
        ("dhakatv[.]net", "domain"),
        ("newsbangladesh[.]org[.]bd", "domain"),
        ("http://jgtm[.]org/", "url"),
        ("twitter[.]com/tonmoybuet", "url"),
        ("https://www[.]youtube[.]com/@bnppara", "url"),
        ("info[at]amc239[.]com", "email"),
        ("45[.]141[.]152[.]19", "ipv4"),
        ("2001:db8::1", "ipv6"),
        ("9481f10c51e9ad5b36846978587b4374", "hash"),
        ("768510FA9EB807BBA9C3DCB3C7F87B771E20FA3D81247539E9EA4349205E39EB", "hash"),
        ("@handle_1", "account"),
        ("#hashtag", "hashtag"),
        ("37 accounts", None),
        ("Holy Souls", None),
        ("AMC239", None),
        ("1555651942", None),
        ("", None),
        ("Registering domains with Namecheap", None),
    ],
)
def test_guess_kind(value, kind):
    assert guess_kind(value) == kind


@pytest.mark.parametrize(
    "obj, expected",
    [
        ({"type": "domain-name", "value": "Evil[.]COM"}, [("domain", "evil.com")]),
        ({"type": "url", "value": "HTTP://Evil.com/X"}, [("url", "http://evil.com/X")]),
        ({"type": "ipv4-addr", "value": "1.2.3.4"}, [("ipv4", "1.2.3.4")]),
        ({"type": "ipv6-addr", "value": "2001:DB8::0:1"}, [("ipv6", "2001:db8::1")]),
        ({"type": "email-addr", "value": "A@B.COM"}, [("email", "a@b.com")]),
        (
            {"type": "file", "hashes": {"MD5": "AA" * 16, "SHA-256": "bb" * 32}},
            [("hash", "aa" * 16), ("hash", "bb" * 32)],
        ),
        (
            {"type": "user-account", "account_login": "@Bob", "user_login": "bob", "display_name": "@Alice"},
            [("account", "bob"), ("account", "alice")],
        ),
        ({"type": "user-account", "display_name": "Alice Smith"}, []),
        ({"type": "hashtag", "value": "#Elections"}, [("hashtag", "elections")]),
        ({"type": "campaign", "name": "evil.com"}, []),
    ],
)
def test_extract_scos(obj, expected):
    assert extract(obj) == expected


def _ind(pattern, pattern_type="stix"):
    return {"type": "indicator", "pattern": pattern, "pattern_type": pattern_type}


def test_extract_simple_pattern():
    assert extract(_ind("[domain-name:value = 'x.com']")) == [("domain", "x.com")]


def test_extract_pattern_or_and_in_and_hashes():
    pattern = (
        "[file:hashes.'SHA-256' = 'AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12' "
        "OR file:hashes.MD5 = 'CD34CD34CD34CD34CD34CD34CD34CD34'] "
        "AND [domain-name:value IN ('A.com', 'b[.]com', 'a.com')] "
        "OR [url:value = 'HTTP://X.com/Path'] "
        "AND [user-account:account_login = '@Bob' AND user-account:account_type = 'twitter'] "
        "AND [ipv4-addr:value = '10.0.0.1'] AND [email-addr:value = 'Me@X.com']"
    )
    got = extract(_ind(pattern))
    assert ("hash", "ab12" * 16) in got
    assert ("hash", "cd34" * 8) in got
    assert ("domain", "a.com") in got and ("domain", "b.com") in got
    assert got.count(("domain", "a.com")) == 1  # deduplicated
    assert ("url", "http://x.com/Path") in got
    assert ("account", "bob") in got
    assert ("ipv4", "10.0.0.1") in got
    assert ("email", "me@x.com") in got
    assert not any(k == "account" and v == "twitter" for k, v in got)


def test_extract_pattern_escaped_quotes():
    got = extract(_ind(r"[url:value = 'http://x.com/it\'s\\here']"))
    assert got == [("url", "http://x.com/it's\\here")]


def test_extract_ignores_other_operators_and_paths():
    pattern = (
        "[domain-name:value != 'a.com'] AND [domain-name:value LIKE 'b%'] "
        "AND [url:value MATCHES 'c'] AND [file:name = 'evil.exe'] AND [network-traffic:dst_port = 443]"
    )
    assert extract(_ind(pattern)) == []


def test_extract_display_name_only_when_handle():
    got = extract(_ind("[user-account:display_name = 'John Smith'] OR [user-account:display_name = '@jsmith']"))
    assert got == [("account", "jsmith")]


@pytest.mark.parametrize(
    "obj",
    [
        _ind("[domain-name:value = "),
        _ind("not a pattern at all"),
        _ind("[domain-name:value = 'x.com']", pattern_type="sigma"),
        _ind(None),
        _ind(12),
        {"type": "indicator", "pattern_type": "stix"},
        {"type": "file", "hashes": "nope"},
        {"type": "file", "hashes": {"MD5": 5}},
        {"type": "domain-name", "value": None},
        {"type": "domain-name"},
        {"type": "user-account", "account_login": ["x"]},
        {},
        {"type": None},
    ],
)
def test_extract_odd_input_yields_nothing(obj):
    assert extract(obj) == []


@pytest.mark.parametrize("obj", [None, "str", 5, [], [{"type": "domain-name", "value": "a.com"}]])
def test_extract_non_dicts(obj):
    assert extract(obj) == []


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(KINDS), value=st.text(max_size=60))
def test_normalise_idempotent(kind, value):
    once = normalise(kind, value)
    assert normalise(kind, once) == once


_defanged = st.from_regex(r"\A(hxxps?\[:\]//)?[a-zA-Z0-9]{1,10}(\[\.\][a-zA-Z]{2,5}){1,3}(/[A-Za-z0-9]{0,8})?\Z")


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(KINDS), value=_defanged)
def test_normalise_idempotent_on_defanged(kind, value):
    once = normalise(kind, value)
    assert normalise(kind, once) == once
    assert "[.]" not in once


@settings(max_examples=100, deadline=None)
@given(value=st.text(max_size=40))
def test_guess_kind_and_extract_never_raise(value):
    guess_kind(value)
    extract({"type": "indicator", "pattern_type": "stix", "pattern": f"[domain-name:value = '{value}']"})
