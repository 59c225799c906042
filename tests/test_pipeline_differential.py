"""Verdicts through the whole pipeline held to the OASIS validator (issue 12, item 8).

Mutations of a few dozen valid STIX 2.1 objects (built-in seeds of most types, the profile
bundles' objects, and the OASIS examples when the shared data is there): every property
dropped, wrong types, bad timestamps, ids and patterns, custom properties (names valid and
not, values of every shape), STIX-shaped dicts in lists and an SCO's custom 'objects', other
decimal digits, line separators (\r, U+2028, U+2029, U+0085) and odd spaces in every string
and key, numbers (floats for integers, past 64 bits, past 2^63), nesting up to 250 levels,
lone surrogates. Every mutant, with a valid neighbour, goes through one ``fimishare import``
(a partner's file, one mutant per line) and one TAXII POST; each must be stored (a TAXII
success) exactly when the reference accepts it, unless one of the node's own rules refuses
it, and the neighbour always.

The reference (crash = invalid) is ``stix2validator.validate_instance`` with
``version="2.1"``; for a STIX 2.0 object (``spec_version_of`` says "2.0": no spec_version
but ``created``) it is what the reference requires of the object both on its own
(``version="2.0"``) and as a member of a bundle, as ``SpecValidator`` documents. The node's
own, intended rules on top of the reference are the allow-list in ``node_refusal``, each
with its reason; there is no other exception. Differences found outside the validator
(reported with issue 12, not fixed here) are kept apart, in a strict xfail test that will
pass once they are fixed.

The reference judges ~200 objects/s: the mutants are a deterministic sample (fixed seed),
judged once per process and posted in one import and one TAXII request.
"""

from __future__ import annotations

import copy
import functools
import json
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support import profile_bundles, stix_factory

from fimishare.stix import TLP_GREEN, Role, spec_version_of

stix2validator = pytest.importorskip("stix2validator")
from stix2validator import ValidationOptions, validate_instance  # noqa: E402

SEED = 20250612
PASSWORD = "pipeline-differential-password"
TAXII = "application/taxii+json;version=2.1"
PARTNER_ORG = "JP-NISC"
T0 = "2024-11-01T09:00:00.000Z"
T1 = "2024-11-02T10:30:00.000Z"
OPTIONS_21 = ValidationOptions(version="2.1", silent=True)
OPTIONS_20 = ValidationOptions(version="2.0", silent=True)


# --------------------------------------------------------------------------- the reference


def _oasis(obj: Any, options: ValidationOptions) -> bool:
    # no deep copy: validate_instance leaves its input as it is, and copying an object nested
    # some hundred levels deep would exhaust the recursion limit before the reference does
    try:
        return bool(validate_instance(obj, options).is_valid)
    except Exception:  # the reference raises on some malformed input: not accepted
        return False


def reference_accepts(obj: Any) -> bool:
    if isinstance(obj, dict) and spec_version_of(obj) == "2.0":
        bundle = {"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000", "spec_version": "2.0", "objects": [obj]}
        return _oasis(obj, OPTIONS_20) and _oasis(bundle, OPTIONS_21)
    return _oasis(obj, OPTIONS_21)


# --------------------------------------------------------------------------- seeds


def _id(type_: str, rng: random.Random) -> str:
    return f"{type_}--{uuid.UUID(int=rng.getrandbits(128), version=4)}"


def _sco(type_: str, rng: random.Random, **props: Any) -> dict[str, Any]:
    return {"type": type_, "spec_version": "2.1", "id": _id(type_, rng), **props}


def oasis_seeds(shared_data: Path) -> list[dict[str, Any]]:
    """The first object of each type in each of the OASIS STIX 2.1 examples (shared data)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    oasis = shared_data / "oasis"
    for path in [*sorted(oasis.glob("*.json")), *sorted((oasis / "threat-reports").glob("*.json"))]:
        if path.name == "medallion_default_data.json":
            continue
        document = json.loads(path.read_text(encoding="utf-8"))
        for obj in document.get("objects", [document]) if isinstance(document, dict) else document:
            found.setdefault((path.name, obj["type"]), obj)
    return list(found.values())


def seeds() -> list[dict[str, Any]]:
    """Valid STIX 2.1 objects of varied types, each accepted by the node as it is."""
    rng = random.Random(SEED)
    identity = stix_factory.sdo("identity", id=_id("identity", rng), identity_class="organization", sectors=["government-national"])
    malware = stix_factory.sdo("malware", id=_id("malware", rng), malware_types=["remote-access-trojan"], aliases=["PIvy"])
    campaign = stix_factory.sdo("campaign", id=_id("campaign", rng), first_seen=T0, last_seen=T1, objective="influence")
    technique = stix_factory.sdo(
        "attack-pattern",
        id=_id("attack-pattern", rng),
        external_references=[
            {"source_name": "capec", "external_id": "CAPEC-163", "url": "https://capec.mitre.org/data/definitions/163.html"},
            {"source_name": "acme", "description": "internal note", "hashes": {"SHA-256": "a" * 64}},
        ],
        kill_chain_phases=[{"kill_chain_name": "mitre-attack", "phase_name": "initial-access"}],
    )
    objects: list[dict[str, Any]] = [
        identity,
        malware,
        campaign,
        technique,
        stix_factory.sdo("intrusion-set", id=_id("intrusion-set", rng), goals=["x"], resource_level="government", first_seen=T0),
        stix_factory.sdo(
            "threat-actor", id=_id("threat-actor", rng), threat_actor_types=["nation-state"], roles=["agent"], sophistication="expert"
        ),
        stix_factory.sdo("tool", id=_id("tool", rng), tool_types=["remote-access"], tool_version="4.2"),
        stix_factory.indicator(id=_id("indicator", rng), indicator_types=["malicious-activity"], valid_until=T1),
        stix_factory.indicator(
            "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f'] "
            "AND [network-traffic:dst_ref.value = '198.51.100.7'] WITHIN 300 SECONDS",
            id=_id("indicator", rng),
            pattern_version="2.1",
            kill_chain_phases=[{"kill_chain_name": "lockheed-martin-cyber-kill-chain", "phase_name": "delivery"}],
        ),
        stix_factory.indicator('alert tcp any any -> any 80 (msg:"x";)', id=_id("indicator", rng), pattern_type="snort"),
        stix_factory.relationship(malware, "uses", technique, id=_id("relationship", rng), start_time=T0, stop_time=T1),
        stix_factory.sdo(
            "sighting",
            id=_id("sighting", rng),
            sighting_of_ref=malware["id"],
            where_sighted_refs=[identity["id"]],
            count=2,
            first_seen=T0,
            last_seen=T1,
        ),
        stix_factory.sdo(
            "vulnerability",
            id=_id("vulnerability", rng),
            name="CVE-2024-12345",
            external_references=[{"source_name": "cve", "external_id": "CVE-2024-12345"}],
        ),
        stix_factory.sdo("course-of-action", id=_id("course-of-action", rng), name="Patch", description="Apply the patch."),
        stix_factory.sdo(
            "report",
            id=_id("report", rng),
            name="Report",
            published=T1,
            report_types=["threat-report"],
            object_refs=[malware["id"], campaign["id"]],
            lang="en",
        ),
        stix_factory.sdo("note", id=_id("note", rng), content="A note.", authors=["analyst"], object_refs=[campaign["id"]]),
        stix_factory.sdo("opinion", id=_id("opinion", rng), opinion="agree", object_refs=[campaign["id"]]),
        stix_factory.sdo("grouping", id=_id("grouping", rng), context="suspicious-activity", object_refs=[malware["id"]]),
        stix_factory.sdo(
            "location", id=_id("location", rng), name="Tokyo", country="JP", latitude=35.68, longitude=139.69, precision=1000.0
        ),
        stix_factory.sdo("infrastructure", id=_id("infrastructure", rng), name="C2", infrastructure_types=["command-and-control"]),
        stix_factory.sdo(
            "malware-analysis", id=_id("malware-analysis", rng), product="acme-av", result="malicious", sample_ref=_id("file", rng)
        ),
        stix_factory.sdo(
            "observed-data",
            id=_id("observed-data", rng),
            first_observed=T0,
            last_observed=T1,
            number_observed=3,
            object_refs=[_id("ipv4-addr", rng)],
        ),
        stix_factory.sdo(
            "language-content",
            id=_id("language-content", rng),
            object_ref=campaign["id"],
            object_modified=T0,
            contents={"de": {"name": "Kampagne"}, "ja": {"description": "キャンペーン"}},
        ),
        stix_factory.sdo("x-acme-widget", id=_id("x-acme-widget", rng), name="widget", x_acme_size=3, x_acme_tags=["a", "b"]),
        {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": _id("marking-definition", rng),
            "created": T0,
            "definition_type": "statement",
            "definition": {"statement": "Copyright Acme"},
        },
        _sco("ipv4-addr", rng, value="198.51.100.3"),
        _sco("ipv6-addr", rng, value="2001:db8::1"),
        _sco("domain-name", rng, value="evil.example"),
        _sco("url", rng, value="https://evil.example/a?b=1"),
        _sco("email-addr", rng, value="a@example.com", display_name="A"),
        _sco("mac-addr", rng, value="00:11:22:33:44:55"),
        _sco("autonomous-system", rng, number=64500, name="AS-EX"),
        _sco("mutex", rng, name="Global\\acme"),
        _sco(
            "file",
            rng,
            name="a.exe",
            size=1024,
            hashes={
                "MD5": "d41d8cd98f00b204e9800998ecf8427e",
                "SHA-256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            },
            mime_type="application/octet-stream",
            ctime="2024-01-01T00:00:00Z",
        ),
        _sco("directory", rng, path="C:\\tmp", path_enc="UTF-8"),
        _sco("software", rng, name="office", cpe="cpe:2.3:a:microsoft:office:2019:*:*:*:*:*:*:*", languages=["en"], version="2019"),
        _sco("artifact", rng, mime_type="application/zip", payload_bin="aGVsbG8="),
        _sco(
            "network-traffic",
            rng,
            protocols=["tcp"],
            src_ref=_id("ipv4-addr", rng),
            src_port=1234,
            dst_port=80,
            start="2024-01-01T00:00:00Z",
            end="2024-01-01T00:01:00Z",
        ),
        _sco("process", rng, pid=42, command_line="cmd.exe /c dir"),
        _sco("user-account", rng, user_id="1001", account_login="acme", account_type="unix"),
        _sco("windows-registry-key", rng, key="HKEY_LOCAL_MACHINE\\Software\\Acme"),
        _sco("x509-certificate", rng, serial_number="01:02", issuer="CN=Acme"),
        _sco("email-message", rng, is_multipart=False, subject="hello", date="2024-01-01T00:00:00Z"),
        _sco("x-acme-sco", rng, value="thing"),
    ]
    # objects the node's profiles cover (FIMI and cyber incidents), with their references
    for obj in [*profile_bundles.fimi_bundle(), *profile_bundles.cyber_bundle()]:
        if obj["type"] in ("incident", "channel", "narrative", "sighting", "identity", "location", "relationship"):
            objects.append(obj)
    return list({obj["id"]: obj for obj in objects}.values())


# --------------------------------------------------------------------------- mutations


@dataclass
class Mutant:
    name: str
    obj: Any


_MISSING = object()
WRONG_TYPES: list[Any] = [None, True, 0, -1, 1.5, "", "x", [], ["x"], [1], [None], {}, {"x": 1}, {"x_acme": {"y": []}}]
BAD_TIMESTAMPS = [
    "2024-13-01T00:00:00Z",
    "2023-02-29T00:00:00.000Z",
    "2024-02-30T00:00:00Z",
    "2024-01-01T24:00:00Z",
    "2016-12-31T23:59:60Z",
    "2024-01-01T00:00:00",
    "2024-01-01 00:00:00Z",
    "2024-01-01T00:00:00.000+01:00",
    "2024-01-01T00:00:00z",
    "0000-01-01T00:00:00.000Z",
    "2024-01-01T00:00:00.Z",
    "2024-01-01T00:00:00.000Z\n",
    "2024-01-01T00:00:00.000Z\r",
    "2024-01-01T00:00:00.0000000000Z",
    "2024-1-01T00:00:00Z",
    "2024-01-01T00:00:00.000Z ",
    "20240101T000000Z",
    "2099-01-01T00:00:00.000Z",
    "1900-01-01T00:00:00Z",
]
BAD_PATTERNS = [
    "[ipv4-addr:value = '198.51.100.1'",
    "ipv4-addr:value = '198.51.100.1'",
    "[ipv4-addr:value = 198.51.100.1]",
    "[ipv4-addr:Value = 'a']",
    "[IPV4-ADDR:value = 'a']",
    "[x-thing:value = 'a']",
    "[acme-thing:value = 'a']",
    "[file:acme_note = 'a']",
    "[file:name = 'a'] WITHIN 0 SECONDS",
    "[file:name = 'a'] REPEATS 0 TIMES",
    "[file:name = 'a'] START t'2024-01-01T00:00:00Z' STOP t'2023-01-01T00:00:00Z'",
    "[file:name = 'a'] START '2024-01-01T00:00:00Z' STOP '2025-01-01T00:00:00Z'",
    "[file:name = 'a'] WITHIN 5 SECONDS WITHIN 6 SECONDS",
    "[EXISTS file:name]",
    "[file:EXISTS = 'a']",
    "[file:extensions.EXISTS = 'a']",
    "[file:name IN ('a', 'b')]",
    "[file:name MATCHES '^a(']",
    "[file:size > 'big']",
    "[file:hashes.MD5 = h'zz']",
    "[file:name = 'a' AND ipv4-addr:value = 'b']",
    "[file:name = 'a'] FOLLOWEDBY [file:name = 'b']",
    "[]",
    "",
    "[file:name = '\u0663']",
    "[file:size = \u0663]",
    "[file:name = 'a']\u2028",
    "[file:name = 'a'] AND\r[file:name = 'b']",
]
# what a regex reads differently in Python's re and ECMA-262: other digits, line ends, spaces
DIGITS = {"arabic-indic": 0x0660, "fullwidth": 0xFF10, "devanagari": 0x0966, "mathematical": 0x1D7CE}
LINE_ENDS = ["\n", "\r", "\r\n", "\u2028", "\u2029", "\u0085"]
SPACES = ["\u00a0", "\ufeff", "\u001c", "\u3000"]


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every (path, value) below the top level, depth first."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key), item
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield (*path, i), item
            yield from _paths(item, (*path, i))


def _set(obj: Any, path: tuple[Any, ...], value: Any) -> Any:
    out = copy.deepcopy(obj)
    node = out
    for step in path[:-1]:
        node = node[step]
    if value is _MISSING:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


def _rename(obj: Any, path: tuple[Any, ...], new_key: str) -> Any:
    """The dict key at ``path`` renamed (order kept)."""
    out = copy.deepcopy(obj)
    node = out
    for step in path[:-1]:
        node = node[step]
    items = list(node.items())
    node.clear()
    node.update((new_key if key == path[-1] else key, value) for key, value in items)
    return out


def _digit_variants(text: str) -> Iterator[tuple[str, str]]:
    """``text`` with one ASCII digit (the last) replaced by each other kind of decimal digit."""
    positions = [i for i, c in enumerate(text) if c.isascii() and c.isdigit()]
    if positions:
        i = positions[-1]
        for kind, zero in DIGITS.items():
            yield kind, text[:i] + chr(zero + int(text[i])) + text[i + 1 :]


def _text_variants(text: str) -> Iterator[tuple[str, str]]:
    yield from _digit_variants(text)
    for end in LINE_ENDS:
        yield f"ends with {end!r}", text + end
        if len(text) > 1:
            yield f"{end!r} inside", text[:1] + end + text[1:]
    for space in SPACES:
        yield f"{space!r} inside", text[:1] + space + text[1:]


def mutations(seed: dict[str, Any], index: int, rng: random.Random) -> Iterator[Mutant]:
    kind = seed["type"]
    label = f"{index}:{kind}"

    def pick(options: list[Any], k: int) -> list[Any]:
        return rng.sample(options, min(k, len(options)))

    # every property dropped, one at a time
    for key in seed:
        yield Mutant(f"{label} drop {key}", _set(seed, (key,), _MISSING))
    # wrong types for each property, and for a sample of the nested values
    for key, value in seed.items():
        for wrong in pick([w for w in WRONG_TYPES if type(w) is not type(value)], 2):
            yield Mutant(f"{label} {key}={wrong!r}", _set(seed, (key,), wrong))
    nested = [(path, value) for path, value in _paths(seed) if len(path) > 1]
    for path, value in pick(nested, 3):
        wrong = rng.choice([w for w in WRONG_TYPES if type(w) is not type(value)])
        yield Mutant(f"{label} {path}={wrong!r}", _set(seed, path, wrong))
        if isinstance(path[-1], str):
            yield Mutant(f"{label} drop {path}", _set(seed, path, _MISSING))
    # bad timestamps
    for key, value in seed.items():
        if isinstance(value, str) and value[:4].isdigit() and "T" in value:
            for bad in pick(BAD_TIMESTAMPS, 3):
                yield Mutant(f"{label} {key}={bad!r}", _set(seed, (key,), bad))
    # bad ids and references
    uid = seed["id"].split("--")[-1]
    for bad in pick(
        [
            f"{kind}--{uid.upper()}",
            f"{kind}--{uid[:-1]}",
            f"{kind}-{uid}",
            f"{kind}--{uid}\n",
            f"{kind}--{uid}\r",
            f"x-other--{uid}",
            f"{kind}--{uid[:14]}0{uid[15:]}",
            f"{kind}--{uid[:14]}6{uid[15:]}",
            f"{kind.upper()}--{uid}",
            f"--{uid}",
            f"{kind}--",
        ],
        3,
    ):
        yield Mutant(f"{label} id={bad!r}", _set(seed, ("id",), bad))
    for key, value in seed.items():
        if key.endswith("_ref") and isinstance(value, str):
            yield Mutant(f"{label} {key} broken", _set(seed, (key,), value.split("--")[0] + "--1234"))
        elif key.endswith("_refs") and isinstance(value, list) and value:
            yield Mutant(f"{label} {key} holds a bad id", _set(seed, (key,), [*value, "identity--nope"]))
    # bad patterns
    if kind == "indicator" and seed.get("pattern_type") == "stix":
        for bad in pick(BAD_PATTERNS, 8):
            yield Mutant(f"{label} pattern={bad!r}", _set(seed, ("pattern",), bad))
        for version in ("2.0", "2.2", "1.0"):
            for pattern in pick(BAD_PATTERNS, 2):
                yield Mutant(f"{label} pattern_version {version} {pattern!r}", {**seed, "pattern_version": version, "pattern": pattern})
    # custom properties: names valid and not, values of every shape
    for name in pick(["x_acme_note", "abc", "ab", "Xacme", "x-acme", "a" * 251, "a" * 250, "x_é", "x_acme\u0663", "id_"], 4):
        yield Mutant(f"{label} custom {name!r}", {**seed, name: "value"})
    for value in pick([None, [], {}, [[]], [{}], {"a": None}, 2**53 + 1, -(2**63), 2**64 - 1, 1e308, -0.0, 1.0, "\u0000"], 3):
        yield Mutant(f"{label} x_acme_value={value!r}", {**seed, "x_acme_value": value})
    # numbers: an integer property as a float, with a fraction, huge; and nesting in a custom property
    for key, value in seed.items():
        if type(value) is int:
            for odd in (float(value), value + 0.5, 2**53 + 1, 2**63, 2**64, -(2**63) - 1, str(value)):
                yield Mutant(f"{label} number {key}={odd!r}", _set(seed, (key,), odd))
    for depth in pick([50, 99, 100, 101, 150, 250], 2):
        deep: Any = "x"
        for level in range(depth):
            deep = {"a": deep} if level % 2 else [deep]
        yield Mutant(f"{label} nested {depth} levels", {**seed, "x_acme_nested": deep})
    for value in pick([2**64, -(2**63) - 1, 10**30, 1e19, -1e300, "a\ud800b", "\udfff", {"x_\ud800": 1}], 2):
        yield Mutant(f"{label} x_acme_odd={value!r}", {**seed, "x_acme_odd": value})
    if "description" in seed or "name" in seed:
        key = "description" if "description" in seed else "name"
        yield Mutant(f"{label} lone surrogate in {key}", _set(seed, (key,), seed[key] + "\udc80"))
    # STIX-shaped dicts in list properties (the reference checks them as objects)
    for child in pick(
        [
            {"type": "indicator", "id": 5},
            {"type": "campaign", "id": "campaign--1", "created": 5},
            {"type": "process", "id": "process--nope"},
            {"type": "malware", "id": "malware--x", "malware_types": [5]},
            {"type": "malware", "id": "malware--x", "malware_types": [["a"]]},
            {"type": "location", "id": "location--x", "country": 7},
            {"type": "attack-pattern", "id": "x", "kill_chain_phases": [{"kill_chain_name": "a"}]},
            {"type": "ipv4-addr", "id": "ipv4-addr--x", "objects": {"0": {"type": "file"}}},
            {"type": "file", "id": "file--x", "hashes": [5]},
            {"type": "campaign", "id": "campaign--x", "external_references": [5]},
            {"type": "campaign", "id": "campaign--x", "lang": "klingon"},
            {"type": ["list"], "id": "x"},
            {"type": "x-thing", "id": "x", "extensions": {"x-ext": 5}, "x_a": 1},
            {"type": "campaign", "id": "campaign--x", "created": "2024-01-01T00:00:00Z", "modified": "2023-01-01T00:00:00Z"},
            {"type": "campaign", "id": "campaign--x"},
        ],
        2,
    ):
        yield Mutant(f"{label} child {child!r}", {**seed, "x_acme_children": [child]})
    # observables inside a custom 'objects' (the reference reads it on an SCO)
    if "created" not in seed:
        for objects in pick([{}, {"0": {"type": "ipv4-addr"}}, {"0": {"type": "ipv4-addr", "id": "ipv4-addr--x"}}, [], "x", {"0": 5}], 2):
            yield Mutant(f"{label} objects={objects!r}", {**seed, "objects": objects})
    # other digits, line ends and spaces in every string and key (a sample of the variants of each)
    for path, value in [((key,), value) for key, value in seed.items()] + nested:
        if isinstance(value, str):
            for what, text in pick(list(_text_variants(value)), 2):
                yield Mutant(f"{label} {path} {what}", _set(seed, path, text))
        if isinstance(path[-1], str) and rng.random() < 0.3:
            for what, text in pick(list(_text_variants(path[-1])), 1):
                yield Mutant(f"{label} key {path} {what}", _rename(seed, path, text))


def all_mutants(sources: tuple[dict[str, Any], ...] | None = None) -> list[Mutant]:
    """Every mutant of every seed (``sources``, or seeds()), each (unless its id is what was mutated) with an id of its own."""
    rng = random.Random(SEED + 1)
    found, ids = [], set()
    for index, seed in enumerate(seeds() if sources is None else sources):
        prefix = seed["id"].split("--")[0]
        for mutant in mutations(seed, index, rng):
            if isinstance(mutant.obj, dict) and mutant.obj.get("id") == seed["id"]:
                mutant.obj["id"] = _id(prefix, rng)
            oid = mutant.obj.get("id") if isinstance(mutant.obj, dict) else None
            if isinstance(oid, str):
                if oid in ids:
                    continue  # (two mutations of an id can meet: a later version would be judged against the first)
                ids.add(oid)
            found.append(mutant)
    return found


SAMPLE = 2500  # of the ~4,700 mutants, deterministically; every child, objects, pattern and odd-value mutant is kept
KEPT = (" child ", " objects=", " pattern", " nested ", " x_acme_odd=", " lone surrogate ", " number ")


# Known differences outside the validator, reported with issue 12 and not fixed here (the files
# are not the validator's): each has its own strict xfail test below.
def _stamp_with_final_newline(obj: Any) -> bool:
    """The version stamp (modified, else created) ends in a newline, which the reference's "$"
    allows and the store's timestamp parser (store/timeline.from_timestamp) refuses."""
    if not isinstance(obj, dict):
        return False
    stamp = obj.get("modified", obj.get("created"))
    return isinstance(stamp, str) and stamp.endswith("\n")


def _profiles_raise(obj: Any) -> bool:
    """The profile checks (stix_profiles/profiles.py), asked after the validator whatever it
    said, raise on the object, and the whole input is lost."""
    from fimishare.stix_profiles import profiles

    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str) or not isinstance(obj.get("id"), str):
        return False
    try:
        profiles.check_object(obj, lambda ref: None)
    except Exception:
        return True
    return False


def _surrogate_in_a_key(value: Any) -> bool:
    """A lone surrogate in a property name: parsing.unkeepable looks only at values, and writing
    the object (orjson) then raises, and the whole input is lost."""
    stack = [value]
    while stack:
        node = stack.pop()
        if type(node) is dict:
            if any(any("\ud800" <= c <= "\udfff" for c in key) for key in node):
                return True
            stack.extend(node.values())
        elif type(node) is list:
            stack.extend(node)
    return False


def outside_the_validator(obj: Any) -> bool:
    return _stamp_with_final_newline(obj) or _profiles_raise(obj) or _surrogate_in_a_key(obj)


@functools.cache
def judged_mutants(sources: str | None = None, sample: int = SAMPLE) -> tuple[tuple[Mutant, bool], ...]:
    """A sample of the mutants of seeds() (or of the seeds in the JSON text ``sources``), each with the
    reference's verdict (judged once per process)."""
    found = [m for m in all_mutants(None if sources is None else tuple(json.loads(sources))) if not outside_the_validator(m.obj)]
    kept = [m for m in found if any(word in m.name for word in KEPT)]
    rest = [m for m in found if m not in kept]
    chosen = set(map(id, kept + random.Random(SEED).sample(rest, max(0, sample - len(kept)))))
    return tuple((m, reference_accepts(m.obj)) for m in found if id(m) in chosen)


@functools.cache
def judged_outside_the_validator() -> tuple[tuple[Mutant, bool], ...]:
    return tuple((m, reference_accepts(m.obj)) for m in all_mutants() if outside_the_validator(m.obj))


# --------------------------------------------------------------------------- the node's own rules


def node_refusal(obj: Any, lookup: Callable[[str], dict[str, Any] | None]) -> str | None:
    """Why the node refuses an object, by its own intended rules on top of the reference (or None).

    This is the allow-list of intended differences:

    1. It takes STIX 2.1 objects and STIX 2.0 objects, which carry no spec_version: any other
       spec_version is refused (pipeline.analyse), where the reference judges the object by
       the 2.0 or 2.1 rules anyway.
    2. It keeps every value exactly or refuses the object (parsing.unkeepable): integers
       beyond 64 bits, numbers past 2^63 (which may be rounded integers), lone surrogates (not
       Unicode text) and nesting past 100 levels, all of which the reference judges like any
       other value.
    3. Its profiles (stix_profiles: the FIMI and cyber incident profiles, and the rule that a
       custom type needs an x- prefix or a new-object extension) refuse what they find wrong;
       the reference knows nothing of them.
    """
    from fimishare.ingest.parsing import unkeepable
    from fimishare.ingest.validation import default_validator
    from fimishare.stix import Severity
    from fimishare.stix_profiles import profiles

    if not isinstance(obj, dict):
        return None
    if obj.get("spec_version") not in (None, "2.1"):
        return "spec_version other than 2.1"
    oddity = unkeepable(obj)
    if oddity is not None:
        return f"cannot keep exactly: {oddity}"
    if isinstance(obj.get("type"), str) and isinstance(obj.get("id"), str) and default_validator().is_valid(obj):
        errors = [p for p in profiles.check_object(obj, lookup) if p.severity == Severity.ERROR]
        if errors:
            return f"profile: {errors[0].path}: {errors[0].message}"
    return None


NEIGHBOUR = stix_factory.sdo(
    "campaign", id="campaign--8c1a7a1e-4d3b-4c5e-9f60-7a8b9c0d1e2f", name="A valid neighbour", object_marking_refs=[TLP_GREEN]
)


def _json_lines(objects: list[Any]) -> bytes:
    """A JSON list, one object per line (json writes what orjson cannot: big integers, lone surrogates)."""
    return ("[\n" + ",\n".join(json.dumps(obj) for obj in objects) + "\n]\n").encode()


def _status_key(obj: Any, position: int) -> str:
    """The id a TAXII status entry gives the object (taxii_server/backend._identify)."""
    return obj["id"] if isinstance(obj, dict) and isinstance(obj.get("id"), str) else f"objects[{position}]"


def _refs(obj: dict[str, Any]) -> list[str]:
    found = []
    for name, value in obj.items():
        if name.endswith("_ref") and isinstance(value, str):
            found.append(value)
        elif name.endswith("_refs") and isinstance(value, list):
            found.extend(v for v in value if isinstance(v, str))
    return found


# --------------------------------------------------------------------------- through the node


def _partner(node) -> str:
    """JP-NISC, a partner organisation with an analyst account; the collection it posts to."""
    from fimishare.ingest.reference import add_organisation

    directory = node.store.directory
    org, report = add_organisation(directory, node.pipeline, PARTNER_ORG)
    assert report.ok, report.errors()
    directory.add_account("jp-analyst", org=org.id, role=Role.ANALYST, password=PASSWORD)
    return node.store.collections.find("fimi/partners").id


def _post_taxii(settings, collection: str, objects: list[Any]) -> dict[str, Any]:
    """The status resource of one POST of ``objects``, as the server keeps it (read back with a GET)."""
    from fimishare.platform import create_app

    client = create_app(settings).test_client()
    headers = {"Accept": TAXII, "Content-Type": TAXII}
    response = client.post(
        f"/taxii2/fimi/collections/{collection}/objects/",
        data=json.dumps({"objects": objects}),
        auth=("jp-analyst", PASSWORD),
        headers=headers,
    )
    assert response.status_code == 202, response.get_data(as_text=True)[:2000]
    posted = response.get_json()
    kept = client.get(f"/taxii2/fimi/status/{posted['id']}/", auth=("jp-analyst", PASSWORD), headers=headers)
    assert kept.status_code == 200 and kept.get_json() == posted
    return posted


def _judge_through_the_node(node, settings, cli, tmp_path, judged: tuple[tuple[Mutant, bool], ...]) -> None:
    """Every mutant and a valid neighbour in one `fimishare import` (of a partner's file), then in one
    TAXII POST by the partner: each is stored (a TAXII success) exactly when the reference accepts
    it and the node's own rules (node_refusal) do not refuse it."""
    collection = _partner(node)
    items = [*(m.obj for m, _ in judged), NEIGHBOUR]
    verdicts = [*(accepts for _, accepts in judged), True]
    in_input = {obj["id"]: obj for obj in items if isinstance(obj, dict) and isinstance(obj.get("id"), str)}
    held = node.store.objects.latest({ref for obj in items if isinstance(obj, dict) for ref in _refs(obj)} - set(in_input))

    def lookup(ref: str) -> dict[str, Any] | None:
        return in_input.get(ref) or held.get(ref)

    refusals = [node_refusal(obj, lookup) for obj in items]
    expected = [accepts and refusal is None for accepts, refusal in zip(verdicts, refusals, strict=True)]
    keys = [_status_key(obj, i) for i, obj in enumerate(items)]
    stored_keys = [key for key, accept in zip(keys, expected, strict=True) if accept]
    assert len(stored_keys) == len(set(stored_keys)), "every object the node should store has an id of its own"

    path = tmp_path / "mutants.json"
    path.write_bytes(_json_lines(items))
    result = cli("import", str(path), "--org", PARTNER_ORG)
    stored = set(node.store.objects.latest(in_input))
    status = _post_taxii(settings, collection, items)
    succeeded = {entry["id"] for entry in status.get("successes", [])}
    failed = {entry["id"] for entry in status.get("failures", [])}

    def why(i: int) -> str:
        name = judged[i][0].name if i < len(judged) else "neighbour"
        return f"{keys[i]} ({name}; reference {'accepts' if verdicts[i] else 'rejects'}; node rule: {refusals[i]})"

    cli_differences = [why(i) for i, accept in enumerate(expected) if accept != (keys[i] in stored)]
    taxii_differences = [why(i) for i, accept in enumerate(expected) if accept != (keys[i] in succeeded and keys[i] not in failed)]
    assert NEIGHBOUR["id"] in stored and NEIGHBOUR["id"] in succeeded
    assert not cli_differences, f"{len(cli_differences)} differences on import, e.g. {cli_differences[:10]}"
    assert not taxii_differences, f"{len(taxii_differences)} differences on TAXII, e.g. {taxii_differences[:10]}"
    assert f"stored {sum(expected)}, unchanged 0, rejected {len(items) - sum(expected)}," in result.output, result.output[-2000:]
    assert (status["success_count"], status["failure_count"]) == (sum(expected), len(items) - sum(expected))


def test_verdicts_through_the_pipeline_match_the_reference(node, settings, cli, tmp_path) -> None:
    judged = judged_mutants()
    accepted = sum(accepts for _, accepts in judged)
    assert len(judged) == SAMPLE and 250 < accepted < SAMPLE - 250, "both verdicts are well represented"
    _judge_through_the_node(node, settings, cli, tmp_path, judged)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_verdicts_outside_the_validator_match_the_reference(node, settings, cli, tmp_path) -> None:
    judged = judged_outside_the_validator()
    assert any(_stamp_with_final_newline(m.obj) and accepts for m, accepts in judged)
    assert any(_profiles_raise(m.obj) for m, _ in judged)
    assert any(_surrogate_in_a_key(m.obj) and accepts for m, accepts in judged)
    _judge_through_the_node(node, settings, cli, tmp_path, judged)


@pytest.mark.shared_data
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_mutants_of_the_oasis_examples_through_the_pipeline(shared_data, node, settings, cli, tmp_path) -> None:
    sources = oasis_seeds(shared_data)
    assert len({obj["type"] for obj in sources}) >= 12
    judged = judged_mutants(json.dumps(sources), 700)
    assert 100 < sum(accepts for _, accepts in judged) < len(judged) - 100
    _judge_through_the_node(node, settings, cli, tmp_path, judged)
