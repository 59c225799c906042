import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from stix2patterns.validator import run_validator
from stix2validator import ValidationOptions, validate_instance

from fimishare.feeds.meta import KILL_CHAIN_NAME, META_IDENTITY_ID, CsvFeedError, read_csv_feed
from fimishare.ingest.observables import extract
from fimishare.stix import TLP_CLEAR

SCO_TYPES = {"domain-name", "url", "ipv4-addr", "ipv6-addr", "email-addr", "file", "user-account"}
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
REQUIRED = {
    "identity": {"name", "identity_class"},
    "campaign": {"name"},
    "report": {"name", "published", "object_refs", "report_types"},
    "indicator": {"pattern", "pattern_type", "valid_from", "pattern_version"},
    "attack-pattern": {"name", "kill_chain_phases", "external_references"},
    "relationship": {"relationship_type", "source_ref", "target_ref"},
    "note": {"content", "object_refs"},
}

# a few files of each header layout: validated in full with the OASIS validator
FULLY_VALIDATED = [
    "2020_12_taking_action_against_hackers_in_bangladesh_and_vietnam.csv",  # typed, sha256 + domains
    "2022_04_metas_adversarial_threat_report_q1.csv",  # typed, phishing_url without scheme
    "2021_11_action_against_hackers_in_pakistan_and_syria.csv",  # typed, ip + md5 + bad md5 row
    "Q1_2024/Q1_2024_Bangladesh_Based_Cib_Network.csv",  # Tactic..Indicator, multi-line cells
    "Q1_2024/Q1_2024_IRAN-BASED CIB NETWORK.csv",  # Tactic..Indicator
    "Q1_2023/Q1_2023_ Iran-based_CIB_network.csv",  # Tactic..Indicator,Comments; emails
    "Q2-3_2025/Q2-3_2025_GithubIOCs - Q2-3_2025_IRAN_BASED_CIB_NETWORK.csv",  # ..Notes; IPs
    "Q1_2023/Q1_2023_ Patchwork_APT.csv",  # hashes, defanged URLs with notes
]


@pytest.fixture(scope="module")
def meta_dir(shared_data) -> Path:
    d = shared_data / "meta-threat-research"
    if not d.is_dir():
        pytest.skip(f"{d} not present")
    return d


@pytest.fixture(scope="module")
def csv_dir(meta_dir) -> Path:
    return meta_dir / "indicators" / "csv"


@pytest.fixture(scope="module")
def feeds(csv_dir) -> dict[str, list[dict]]:
    files = sorted(csv_dir.rglob("*.csv"))
    assert len(files) > 50
    return {str(f.relative_to(csv_dir)): read_csv_feed(f) for f in files}


def by_type(objs, typ):
    return [o for o in objs if o["type"] == typ]


def test_every_file_parses_into_a_consistent_bundle(feeds):
    for name, objs in feeds.items():
        ids = [o["id"] for o in objs]
        assert len(ids) == len(set(ids)), name
        counts = Counter(o["type"] for o in objs)
        assert counts["identity"] == counts["campaign"] == counts["report"] == 1, name
        report = by_type(objs, "report")[0]
        assert set(report["object_refs"]) == set(ids) - {report["id"]}, name
        assert report["external_references"][-1]["url"].startswith("https://github.com/facebook/threat-research/")
        known = set(ids)
        for o in objs:
            assert o["spec_version"] == "2.1"
            assert TLP_CLEAR in o["object_marking_refs"], (name, o["id"])
            if o["type"] in SCO_TYPES:
                continue
            assert o["created_by_ref"] == META_IDENTITY_ID
            assert TS_RE.match(o["created"]) and TS_RE.match(o["modified"]), (name, o["id"])
            missing = REQUIRED.get(o["type"], set()) - o.keys()
            assert not missing, (name, o["id"], missing)
            if o["type"] == "relationship":
                assert o["source_ref"] in known and o["target_ref"] in known, (name, o["id"])
            if o["type"] == "indicator":
                assert o["pattern_type"] == "stix"
                assert TS_RE.match(o["valid_from"])
            if o["type"] == "note":
                assert set(o["object_refs"]) <= known


def test_every_pattern_is_valid(feeds):
    for name, objs in feeds.items():
        for ind in by_type(objs, "indicator"):
            errors = run_validator(ind["pattern"], stix_version="2.1")
            assert not errors, (name, ind["pattern"], errors)


def test_every_indicator_is_based_on_its_observables_and_indicates_the_campaign(feeds):
    for name, objs in feeds.items():
        campaign = by_type(objs, "campaign")[0]["id"]
        rels = by_type(objs, "relationship")
        indicates = {r["source_ref"] for r in rels if r["relationship_type"] == "indicates" and r["target_ref"] == campaign}
        based_on = Counter(r["source_ref"] for r in rels if r["relationship_type"] == "based-on")
        scos = {o["id"]: o for o in objs if o["type"] in SCO_TYPES}
        for ind in by_type(objs, "indicator"):
            assert ind["id"] in indicates, (name, ind["pattern"])
            if ind["pattern"].startswith("[software:"):
                continue  # app ids: no standard SCO
            assert based_on[ind["id"]] >= 1, (name, ind["pattern"])
            # every SCO value is part of what the pattern matches on
            pattern_values = set(extract(ind))
            for r in rels:
                if r["relationship_type"] == "based-on" and r["source_ref"] == ind["id"]:
                    for pair in extract(scos[r["target_ref"]]):
                        assert pair in pattern_values, (name, ind["pattern"], pair)


@pytest.mark.parametrize("rel_path", FULLY_VALIDATED)
def test_oasis_validator_accepts_every_object(csv_dir, rel_path):
    path = csv_dir / rel_path
    if not path.exists():
        pytest.skip(f"{rel_path} missing")
    options = ValidationOptions(version="2.1")
    for obj in read_csv_feed(path):
        result = validate_instance(obj, options)
        assert result.is_valid, (obj["id"], [str(e) for e in result.errors])


def test_both_layouts_are_covered_by_full_validation(csv_dir):
    layouts = set()
    for rel in FULLY_VALIDATED:
        with open(csv_dir / rel, encoding="utf-8-sig", newline="") as fh:
            header = tuple(h.strip().lower() for h in next(csv.reader(fh)))
        layouts.add(header)
    assert ("indicator_type", "indicator_value", "comment", "ds") in layouts
    assert ("tactic", "technique", "procedure", "indicator") in layouts
    assert any(len(h) == 5 and h[:4] == ("tactic", "technique", "procedure", "indicator") for h in layouts)


def patterns_of(objs):
    return {o["pattern"] for o in objs if o["type"] == "indicator"}


def test_defanged_real_values_show_up_normalised(feeds):
    bangladesh = feeds["Q1_2024/Q1_2024_Bangladesh_Based_Cib_Network.csv"]
    assert "[domain-name:value = 'dhakatv.net']" in patterns_of(bangladesh)
    assert any(o["type"] == "domain-name" and o["value"] == "dhakatv.net" for o in bangladesh)
    assert any(o["type"] == "domain-name" and o["value"] == "newsbangladesh.org.bd" for o in bangladesh)
    assert any(
        o["type"] == "user-account" and o.get("account_type") == "twitter" and o["account_login"] == "bd_politico" for o in bangladesh
    )

    iran = feeds["Q1_2024/Q1_2024_IRAN-BASED CIB NETWORK.csv"]
    assert any("[url:value = 'http://jgtm.org/']" in p and "domain-name:value = 'jgtm.org'" in p for p in patterns_of(iran))

    ips = feeds["Q2-3_2025/Q2-3_2025_GithubIOCs - Q2-3_2025_IRAN_BASED_CIB_NETWORK.csv"]
    assert "[ipv4-addr:value = '45.141.152.19']" in patterns_of(ips)

    iran23 = feeds["Q1_2023/Q1_2023_ Iran-based_CIB_network.csv"]
    emails = [o for o in by_type(iran23, "indicator") if o["pattern"] == "[email-addr:value = 'info@amc239.com']"]
    assert emails and "hosted with Titan.email service" in emails[0]["description"]

    moldova = feeds["Q2-3_2025/Q2-3_2025_GithubIOCs - Q2-3_2025_MOLDOVA_BASED_CIB_NETWORK.csv"]
    assert any("url:value = 'https://gagauzia24.info/'" in p for p in patterns_of(moldova))

    patchwork = feeds["Q1_2023/Q1_2023_ Patchwork_APT.csv"]
    assert "[file:hashes.'MD5' = '9481f10c51e9ad5b36846978587b4374']" in patterns_of(patchwork)

    apt32 = feeds["2020_12_taking_action_against_hackers_in_bangladesh_and_vietnam.csv"]
    assert "[file:hashes.'SHA-256' = '768510fa9eb807bba9c3dcb3c7f87b771e20fa3d81247539e9ea4349205e39eb']" in patterns_of(apt32)


def test_indicator_descriptions_keep_comments_and_notes(feeds):
    pak = feeds["Q1_2023/Q1_2023_ Pakistan_APT.csv"]
    ind = [o for o in by_type(pak, "indicator") if o["pattern"] == "[domain-name:value = 'bingechat.net']"][0]
    assert "Domain hosting GravityRAT malware" in ind["description"]
    assert "0.6.1 Acquiring domains to host, deploy, and support malware campaigns" in ind["description"]

    typed = feeds["2021_11_action_against_hackers_in_pakistan_and_syria.csv"]
    ind = [o for o in by_type(typed, "indicator") if o["pattern"] == "[domain-name:value = 'androappstore.com']"][0]
    assert "Pakistan: Hosting PJobRAT and Mayhem" in ind["description"]
    assert ind["valid_from"] == "2021-11-16T00:00:00.000Z"


def test_counts_and_prose_rows_end_up_in_a_note(feeds):
    china = feeds["Q1_2024/Q1_2024_CHINA_BASED_CIB_NETWORK.csv"]
    notes = by_type(china, "note")
    assert len(notes) == 1
    content = notes[0]["content"]
    assert "37 accounts" in content and "13 Pages" in content and "Posing as Sikh Activists" in content
    assert by_type(china, "campaign")[0]["id"] in notes[0]["object_refs"]
    for ind in by_type(china, "indicator"):
        assert "accounts" not in ind["pattern"]

    # an unparseable value in a typed file is kept too
    typed = feeds["2021_11_action_against_hackers_in_pakistan_and_syria.csv"]
    assert "v21b4327d6881be1893fd2a8431317f6b" in by_type(typed, "note")[0]["content"]


@pytest.mark.parametrize(
    "rel_path",
    ["Q1_2023/Q1_2023_ Bahamut_APT.csv", "Q3_2024/Q3_2024 IRAN_BASED_CIB_NETWORK.csv", "Q1_2024/Q1_2024_Croatia_Based_CIB_Network.csv"],
)
def test_no_row_is_lost(csv_dir, feeds, rel_path):
    objs = feeds[rel_path]
    text = "\n".join(o.get("description", "") for o in by_type(objs, "indicator"))
    text += "\n".join(o["content"] for o in by_type(objs, "note"))
    with open(csv_dir / rel_path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    for row in rows:
        cell = re.sub(r"\s*\n\s*", " ", row[3]).strip() if len(row) > 3 else ""
        if cell:
            assert cell in text, cell


def test_kill_chain_attack_patterns_and_uses(feeds):
    objs = feeds["Q1_2024/Q1_2024_Bangladesh_Based_Cib_Network.csv"]
    aps = {o["external_references"][0]["external_id"]: o for o in by_type(objs, "attack-pattern")}
    assert {"0.6", "0.9", "1.3", "7.1"} <= aps.keys()
    ap = aps["0.6"]
    assert ap["name"] == "Acquiring domains"
    assert ap["external_references"][0]["source_name"] == "meta-online-operations-kill-chain"
    assert ap["kill_chain_phases"] == [{"kill_chain_name": KILL_CHAIN_NAME, "phase_name": "acquiring-assets"}]
    campaign = by_type(objs, "campaign")[0]["id"]
    uses = {r["target_ref"] for r in by_type(objs, "relationship") if r["relationship_type"] == "uses"}
    assert all(
        r_source == campaign for r_source in (r["source_ref"] for r in by_type(objs, "relationship") if r["relationship_type"] == "uses")
    )
    assert uses == {a["id"] for a in aps.values()}
    # typed layout has no kill chain
    assert not by_type(feeds["2023_05_malware_iocs.csv"], "attack-pattern")


def test_shared_objects_are_identical_across_files(feeds):
    identities = {json.dumps(by_type(objs, "identity")[0], sort_keys=True) for objs in feeds.values()}
    assert len(identities) == 1
    aps: dict[str, set] = {}
    for objs in feeds.values():
        for ap in by_type(objs, "attack-pattern"):
            aps.setdefault(ap["id"], set()).add(json.dumps(ap, sort_keys=True))
    assert all(len(v) == 1 for v in aps.values())


def test_campaign_names_dates_and_sources(feeds):
    objs = feeds["Q2_2023 /Q2_2023_Doppelganger_Russia_based_CIB_network_updated.csv"]
    assert by_type(objs, "campaign")[0]["name"] == "Doppelganger Russia-based CIB network"
    assert by_type(objs, "report")[0]["published"] == "2023-06-30T00:00:00.000Z"

    objs = feeds["2023_05_malware_iocs.csv"]
    report = by_type(objs, "report")[0]
    assert report["published"] == "2023-05-03T00:00:00.000Z"
    assert by_type(objs, "campaign")[0]["created"] == "2023-05-03T00:00:00.000Z"
    urls = [r.get("url") for r in report["external_references"]]
    assert "https://about.fb.com/news/2023/05/how-meta-protects-businesses-from-malware/" in urls

    names = {by_type(o, "campaign")[0]["name"] for o in feeds.values()}
    assert "Bangladesh-based CIB network" in names
    assert "Russia-based CIB network #1" in names
    assert not any("_" in n or n != n.strip() for n in names)


def test_same_file_twice_is_byte_identical(csv_dir):
    path = csv_dir / "Q1_2023" / "Q1_2023_ Patchwork_APT.csv"
    a = json.dumps(read_csv_feed(path))
    b = json.dumps(read_csv_feed(path))
    assert a == b


def test_explicit_index_argument(csv_dir, meta_dir):
    index = json.loads((meta_dir / "index.json").read_text())
    path = csv_dir / "2021_07_taking_action_against_hackers_in_iran.csv"
    with_index = read_csv_feed(path, index=index)
    assert by_type(with_index, "report")[0]["published"] == "2021-07-15T00:00:00.000Z"
    assert with_index == read_csv_feed(path)
    without = read_csv_feed(path, index={})
    assert by_type(without, "report")[0]["published"] == "2021-07-01T00:00:00.000Z"


def test_unknown_header_raises_naming_file_and_header(tmp_path):
    path = tmp_path / "weird_feed.csv"
    path.write_text("ioc,kind,when\nevil.com,domain,2024-01-01\n", encoding="utf-8")
    with pytest.raises(CsvFeedError) as info:
        read_csv_feed(path)
    message = str(info.value)
    assert "weird_feed.csv" in message and "ioc" in message and "kind" in message


def test_empty_and_missing_files_raise(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(CsvFeedError, match="empty.csv"):
        read_csv_feed(empty)
    with pytest.raises(CsvFeedError, match="missing.csv"):
        read_csv_feed(tmp_path / "missing.csv")


def test_bom_crlf_blank_rows_multiline_and_quotes(tmp_path):
    path = tmp_path / "Q3_2024_TEST_BASED_CIB_NETWORK.csv"
    content = (
        "\ufeffTactic ,Technique , Procedure,Indicator,Notes\r\n"
        "\r\n"
        '0. Acquiring assets,0.6 Acquiring domains,"0.6.2 Acquiring domains to\nsupport IO","evil[.]com \n",note one\r\n'
        ",,,,\r\n"
        "0. Acquiring assets,0.6 Acquiring domains,0.6.2,hxxp://o'brien[.]example/a\\b,\r\n"
        "0. Acquiring assets,0.9 Acquiring social media accounts,0.9.1,12 accounts,\r\n"
    )
    path.write_bytes(content.encode("utf-8"))
    objs = read_csv_feed(path)
    pats = patterns_of(objs)
    assert "[domain-name:value = 'evil.com']" in pats
    assert any("url:value = 'http://o\\'brien.example/a\\\\b'" in p for p in pats)
    for p in pats:
        assert not run_validator(p, stix_version="2.1"), p
    assert "12 accounts" in by_type(objs, "note")[0]["content"]
    assert by_type(objs, "campaign")[0]["name"] == "Test-based CIB network"
    assert by_type(objs, "report")[0]["published"] == "2024-09-30T00:00:00.000Z"
    ind = [o for o in by_type(objs, "indicator") if "evil.com" in o["pattern"]][0]
    assert "note one" in ind["description"]
