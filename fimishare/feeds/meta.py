"""Importer for Meta's threat-research indicator CSV files (github.com/facebook/threat-research).

Two header layouts occur in the wild:

* ``indicator_type,indicator_value,comment,ds`` (older, per-report files listed in ``index.json``);
* ``Tactic,Technique,Procedure,Indicator[,Notes|Comments|Note|...]`` (Online Operations Kill Chain
  layout; stray spaces in header names, multi-line quoted cells, blank separator rows).

:func:`read_csv_feed` turns one file into STIX 2.1 objects (plain dicts): the Meta identity, one
campaign, one report, indicators (with ``stix`` patterns), SCOs with ``based-on`` relationships,
``indicates`` relationships to the campaign, kill-chain attack-patterns with ``uses`` relationships
and a note keeping every row that is not a concrete indicator (counts, prose). Output is fully
deterministic: uuid5 ids from stable content and timestamps fixed from the report date.
"""
from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import date
from pathlib import Path
from urllib.parse import quote

from fimishare.stix import TLP_CLEAR
from fimishare.ingest import observables

__all__ = ["CsvFeedError", "read_csv_feed", "META_IDENTITY_ID", "KILL_CHAIN_NAME"]


class CsvFeedError(ValueError):
    """A feed file that cannot be read or whose header layout is unknown."""


# --------------------------------------------------------------------------- constants

_NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/facebook/threat-research")
_SCO_NS = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")  # STIX 2.1 SCO id namespace

KILL_CHAIN_NAME = "meta-online-operations-kill-chain"
KILL_CHAIN_URL = "https://github.com/facebook/threat-research/blob/main/Online_Operations_Killchain-TTPs.csv"
REPO_URL = "https://github.com/facebook/threat-research/blob/main/"
FALLBACK_DATE = date(2020, 1, 1)
# objects shared between files (identity, attack-patterns) get one fixed timestamp so that every
# file produces byte-identical copies of them
SHARED_TIMESTAMP = "2020-01-01T00:00:00.000Z"

META_IDENTITY_ID = f"identity--{uuid.uuid5(_NS, 'identity|meta-platforms')}"
_MARKINGS = [TLP_CLEAR]

TACTICS = {
    0: "Acquiring assets",
    1: "Disguising assets",
    2: "Gathering information",
    3: "Coordinating and planning",
    4: "Testing defenses",
    5: "Evading detection",
    6: "Indiscriminate engagement",
    7: "Targeted engagement",
    8: "Compromising assets",
    9: "Enabling longevity",
}

# technique id -> name, from Online_Operations_Killchain-TTPs.csv
TECHNIQUES = {
    "0.1": "Acquiring IP addresses",
    "0.2": "Acquiring email addresses",
    "0.3": "Acquiring phone",
    "0.4": "Acquiring business assets",
    "0.5": "Acquiring financial instruments",
    "0.6": "Acquiring domains",
    "0.7": "Acquiring malware",
    "0.8": "Acquiring apps",
    "0.9": "Acquiring social media accounts",
    "1.1": "Adopting visual disguise",
    "1.2": "Posing as non-existent person",
    "1.3": "Posing as non-existent institution",
    "1.4": "Impersonating real person",
    "1.5": "Impersonating real institution",
    "1.6": "Disguising malware sites",
    "1.7": "Disguising malicious apps",
    "1.8": "Backstopping",
    "2.1": "Soliciting information",
    "2.2": "Monitoring specific events",
    "3.1": "Coordinating shift patterns",
    "3.2": "Circulating content / posting instructions on publicly viewable surface",
    "3.3": "Centralizing infrastructure",
    "3.4": "Running command and control infrastructure",
    "3.5": "Automating activity",
    "3.6": "Coordinating via closed system",
    "4.1": "Using publicly available testing services",
    "5.1": "Privacy protection",
    "5.2": "Camouflaging content",
    "5.3": "Obfuscating geographical location",
    "5.4": "Copying authentic content",
    "5.5": "Obfuscating infrastructure",
    "5.6": "Faking social interactions",
    "6.1": "Posting on websites",
    "6.2": "Amplifying with likely fake accounts on social media",
    "6.3": "Spraying content",
    "7.1": "Running ads",
    "7.2": "Engaging with users outside the operation",
    "7.3": "Engaging with specific audience",
    "7.4": "Co-opting real people / organizations",
    "7.5": "Directing online traffic",
    "7.6": "Posting about individuals or institutions",
    "7.7": "Making payments",
    "7.8": "Direct outreach",
    "7.9": "Distributing malware",
    "8.1": "Social engineering",
    "8.2": "Compromising websites",
    "8.3": "Compromising data",
    "9.1": "Changing personas",
    "9.2": "Changing platforms",
    "9.3": "Persisting with personas",
    "9.4": "Upgrading capabilities",
    "9.5": "Replacing infrastructure",
    "9.6": "Denying exposure",
    "9.8": "Perception hacking",
}

_TYPE_KINDS = {
    "domain_name": "domain",
    "domain": "domain",
    "url": "url",
    "cib_url": "url",
    "telegram_url": "url",
    "phishing_url": "url",
    "ip": "ip",
    "ip_address": "ip",
    "ipv4": "ip",
    "ipv6": "ip",
    "email": "email",
    "email_address": "email",
    "md5": "hash",
    "sha1": "hash",
    "sha256": "hash",
    "sha512": "hash",
}
_APP_TYPES = {
    "android_package_name": ("x_android_package_name", "Android package"),
    "ios_app_id": ("x_ios_app_id", "iOS App Store app id"),
}
_HASH_ALGOS = {32: "MD5", 40: "SHA-1", 64: "SHA-256", 128: "SHA-512"}
_SCO_TYPES = {"domain": "domain-name", "url": "url", "ipv4": "ipv4-addr", "ipv6": "ipv6-addr", "email": "email-addr"}

# social-media hosts -> account_type; the handle is read from the URL path
_SOCIAL_HOSTS = {
    "twitter.com": "twitter",
    "x.com": "twitter",
    "mobile.twitter.com": "twitter",
    "facebook.com": "facebook",
    "m.facebook.com": "facebook",
    "instagram.com": "instagram",
    "tiktok.com": "tiktok",
    "youtube.com": "youtube",
    "m.youtube.com": "youtube",
    "t.me": "telegram",
    "telegram.me": "telegram",
    "reddit.com": "reddit",
    "old.reddit.com": "reddit",
    "threads.net": "threads",
    "medium.com": "medium",
    "vk.com": "vk",
}
_RESERVED_PATHS = {
    "status", "statuses", "share", "sharer", "sharer.php", "watch", "hashtag", "intent", "home", "search",
    "i", "p", "reel", "reels", "groups", "pages", "events", "explore", "profile.php", "joinchat", "s",
    "permalink.php", "story.php", "video", "videos", "shorts", "playlist", "results", "r", "login",
    "privacy", "help", "about", "settings", "tag", "discover", "embed", "photo.php", "story",
}
_HANDLE_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")

_COUNT_RE = re.compile(r"^(?:about|approximately|around|over|roughly|~)?\s*[\d][\d,.]*\s*[kKmM]?\+?\s+\S", re.IGNORECASE)
_TECH_ID_RE = re.compile(r"^\s*(\d+)\.(\d+)\b\.?\s*(.*)$", re.DOTALL)
_PROC_ID_RE = re.compile(r"^\s*(\d+)\.(\d+)\.(\d+)")
_TACTIC_ID_RE = re.compile(r"^\s*(\d+)\b")


# --------------------------------------------------------------------------- helpers


def _ts(d: date) -> str:
    return f"{d.isoformat()}T00:00:00.000Z"


def _sdo_id(typ: str, *parts: str) -> str:
    return f"{typ}--{uuid.uuid5(_NS, '|'.join((typ,) + parts))}"


def _sco_id(typ: str, contributing: dict) -> str:
    canonical = json.dumps(contributing, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{typ}--{uuid.uuid5(_SCO_NS, canonical)}"


def _pattern_str(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _clean_cell(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _one_line(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text).strip()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CsvFeedError(f"{path}: cannot read file: {exc}") from exc
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _feed_key(path: Path) -> str:
    """A stable name for the file: its path below ``indicators/csv`` when there, else its name."""
    parts = path.parts
    for i in range(len(parts) - 1, 0, -1):
        if parts[i] == "csv" and parts[i - 1] == "indicators":
            return "/".join(parts[i + 1 :])
    return path.name


# --------------------------------------------------------------------------- index.json / dates / names


def _find_index(path: Path) -> list | dict | None:
    for parent in list(path.resolve().parents)[:5]:
        candidate = parent / "index.json"
        if candidate.is_file():
            try:
                return json.loads(candidate.read_text(encoding="utf-8-sig"))
            except (OSError, ValueError):
                return None
    return None


def _index_entry(index, path: Path, key: str) -> dict | None:
    if not index:
        return None
    if isinstance(index, dict):
        for k in (f"indicators/csv/{key}", key, path.stem, path.name):
            if isinstance(index.get(k), dict):
                return index[k]
        entries = index.get("entries") or index.get("reports") or list(index.values())
    else:
        entries = index
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        files = (entry.get("indicators") or {}).get("csv_files") or []
        if entry.get("id") == path.stem or any(
            isinstance(f, str) and (f == f"indicators/csv/{key}" or f.endswith("/" + key)) for f in files
        ):
            return entry
    return None


def _parse_date(text) -> date | None:
    if not isinstance(text, str):
        return None
    m = re.match(r"^\s*(\d{4})-(\d{2})-(\d{2})", text)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


_QUARTER_END = {1: (3, 31), 2: (6, 30), 3: (9, 30), 4: (12, 31)}


def _period_from_name(stem: str) -> tuple[date | None, str | None]:
    """(date, label) from a file name: ``Q1_2023`` -> end of Q1 2023, ``Q2-3_2025`` -> end of Q3,
    ``2021_07_...`` -> 2021-07-01, ``2022_...`` -> 2022-01-01."""
    m = re.search(r"Q([1-4])(?:-([1-4]))?[\s_]*(\d{4})", stem)
    if m:
        q = int(m.group(2) or m.group(1))
        month, day = _QUARTER_END[q]
        label = f"Q{m.group(1)}{'-' + m.group(2) if m.group(2) else ''} {m.group(3)}"
        return date(int(m.group(3)), month, day), label
    m = re.search(r"H([12])[\s_]*(\d{4})", stem)
    if m:
        month, day = (6, 30) if m.group(1) == "1" else (12, 31)
        return date(int(m.group(2)), month, day), f"H{m.group(1)} {m.group(2)}"
    m = re.match(r"^(\d{4})_(\d{2})_", stem)
    if m and 1 <= int(m.group(2)) <= 12:
        return date(int(m.group(1)), int(m.group(2)), 1), f"{m.group(1)}-{m.group(2)}"
    m = re.match(r"^(\d{4})_", stem)
    if m:
        return date(int(m.group(1)), 1, 1), m.group(1)
    return None, None


_UPPER_WORDS = {"cib", "ib", "apt", "us", "usa", "uk", "ioc", "iocs", "ngo", "eu", "q1", "q2", "q3", "q4"}
_LOWER_WORDS = {
    "network", "networks", "based", "targeting", "cluster", "recidivist", "espionage", "and", "in", "of",
    "from", "against", "for", "the", "on", "hackers", "action", "taking", "removing", "coordinated",
    "inauthentic", "behavior", "adversarial", "threat", "report", "malicious", "mobile", "apps",
    "malware", "surveillance", "hire", "operation", "campaign", "cross", "platform",
}
_SPECIAL_WORDS = {"metas": "Meta's", "türkiye": "Türkiye"}


def _fix_word(word: str) -> str:
    if not word:
        return word
    wl = word.lower()
    if wl in _SPECIAL_WORDS:
        return _SPECIAL_WORDS[wl]
    if wl in _UPPER_WORDS:
        return word.upper()
    if wl in _LOWER_WORDS:
        return wl
    if any(c.isdigit() for c in word):
        return word
    if word.isupper() or word.islower():
        return word[:1].upper() + word[1:].lower()
    return word


def _campaign_name(stem: str) -> str:
    s = re.sub(r"^.*GithubIOCs\s*-\s*", "", stem, flags=re.IGNORECASE)
    s = re.sub(r"^\s*(?:Q[1-4](?:-[1-4])?|H[12])[\s_]*\d{4}[\s_]*", "", s)
    s = re.sub(r"^\d{4}(?:_\d{2})?_", "", s)
    s = re.sub(r"[\s_]+updated\s*$", "", s, flags=re.IGNORECASE)
    s = re.sub(r"\s+_\s+", " / ", s)
    s = s.replace("_", " ")
    s = re.sub(r"[\s\-]+based\b", "-based", s, flags=re.IGNORECASE)
    s = re.sub(r"\s+", " ", s).strip(" -_")
    words = []
    for word in s.split(" "):
        words.append("-".join(_fix_word(p) for p in word.split("-")))
    s = " ".join(words)
    if s:
        s = s[0].upper() + s[1:]
    return s or stem.strip() or "Unnamed operation"


# --------------------------------------------------------------------------- observations


class _Obs:
    """One concrete observable: its SCO dict and its pattern comparison."""

    __slots__ = ("sco", "comparison")

    def __init__(self, sco: dict | None, comparison: str):
        self.sco = sco
        self.comparison = comparison


def _simple_obs(kind: str, value: str) -> _Obs:
    typ = _SCO_TYPES[kind]
    sco = {
        "type": typ,
        "spec_version": "2.1",
        "id": _sco_id(typ, {"value": value}),
        "value": value,
        "object_marking_refs": list(_MARKINGS),
    }
    return _Obs(sco, f"{typ}:value = {_pattern_str(value)}")


def _hash_obs(value: str, algo: str | None = None) -> _Obs | None:
    value = observables.normalise("hash", value)
    algo = algo or _HASH_ALGOS.get(len(value))
    if not algo or not re.fullmatch(r"[0-9a-f]+", value):
        return None
    hashes = {algo: value}
    sco = {
        "type": "file",
        "spec_version": "2.1",
        "id": _sco_id("file", {"hashes": hashes}),
        "hashes": hashes,
        "object_marking_refs": list(_MARKINGS),
    }
    return _Obs(sco, f"file:hashes.{_pattern_str(algo)} = {_pattern_str(value)}")


def _account_obs(handle: str, account_type: str | None, user_id: str | None = None) -> _Obs:
    login = observables.normalise("account", handle) if handle else None
    contributing = {}
    if account_type:
        contributing["account_type"] = account_type
    if user_id:
        contributing["user_id"] = user_id
    if login:
        contributing["account_login"] = login
    sco = {"type": "user-account", "spec_version": "2.1", "id": _sco_id("user-account", contributing)}
    sco.update(contributing)
    sco["object_marking_refs"] = list(_MARKINGS)
    parts = []
    if account_type:
        parts.append(f"user-account:account_type = {_pattern_str(account_type)}")
    if user_id:
        parts.append(f"user-account:user_id = {_pattern_str(user_id)}")
    if login:
        parts.append(f"user-account:account_login = {_pattern_str(login)}")
    return _Obs(sco, " AND ".join(parts))


def _social_account(url: str) -> _Obs | None:
    m = re.match(r"^(?:[a-z][a-z0-9+.\-]*://)?([^/?#]+)(/[^?#]*)?", url)
    if not m:
        return None
    host = m.group(1).rsplit("@", 1)[-1].split(":", 1)[0]
    if host.startswith("www."):
        host = host[4:]
    account_type = _SOCIAL_HOSTS.get(host)
    if not account_type:
        return None
    segments = [s for s in (m.group(2) or "").split("/") if s]
    if not segments:
        return None
    first = segments[0]
    if account_type == "youtube":
        if first.startswith("@"):
            handle = first
        elif first in ("c", "user") and len(segments) > 1:
            handle = segments[1]
        elif first == "channel" and len(segments) > 1 and _HANDLE_RE.match(segments[1]):
            return _account_obs("", account_type, user_id=segments[1])
        else:
            return None
    elif account_type == "reddit":
        if first in ("user", "u") and len(segments) > 1:
            handle = segments[1]
        else:
            return None
    elif account_type in ("tiktok", "medium", "threads"):
        if not first.startswith("@"):
            return None
        handle = first
    else:
        handle = first
    bare = handle.lstrip("@")
    if not bare or bare.lower() in _RESERVED_PATHS or bare.startswith("+") or not _HANDLE_RE.match(bare):
        return None
    return _account_obs(bare, account_type)


def _obs_display(obs: _Obs) -> str:
    sco = obs.sco or {}
    if "value" in sco:
        return sco["value"]
    if "hashes" in sco:
        return next(iter(sco["hashes"].values()))
    return sco.get("account_login") or sco.get("user_id") or obs.comparison


def _observations(kind: str, value: str) -> list[_Obs]:
    """SCOs and pattern comparisons for one (kind, raw value); [] when not a concrete observable."""
    try:
        norm = observables.normalise(kind, value)
    except (ValueError, TypeError):
        return []
    if not norm:
        return []
    if kind == "hash":
        obs = _hash_obs(norm)
        return [obs] if obs else []
    if kind in ("domain", "ipv4", "ipv6", "email"):
        return [_simple_obs(kind, norm)]
    if kind == "account":
        return [_account_obs(norm, None)]
    if kind == "url":
        if not re.match(r"^[a-z][a-z0-9+.\-]*://", norm):
            # STIX url values must be absolute URIs: assume http for scheme-less ones ("twitter.com/x")
            norm = observables.normalise("url", "http://" + norm)
        if not norm.isascii() or " " in norm:
            # IRI -> URI (RFC 3987 section 3.1): percent-encode what a URI may not contain
            norm = quote(norm, safe="!#$%&'()*+,/:;=?@[]~-._")
        out = [_simple_obs("url", norm)]
        account = _social_account(norm)
        if account is not None:
            out.append(account)
            return out
        m = re.match(r"^(?:[a-z][a-z0-9+.\-]*://)?([^/?#@]+)/?$", norm)
        if m:  # a bare site URL also indicates its host
            host = m.group(1).split(":", 1)[0] if not m.group(1).startswith("[") else m.group(1)
            host_kind = observables.guess_kind(host)
            if host_kind in ("domain", "ipv4", "ipv6"):
                out.append(_simple_obs(host_kind, observables.normalise(host_kind, host)))
        return out
    return []  # hashtags and anything else: no standard SCO / pattern


def _classify_cell(text: str) -> tuple[list[_Obs], str, str]:
    """(observations, observable as published, remainder text) for a kill-chain Indicator cell."""
    t = _clean_cell(text)
    if not t:
        return [], "", ""
    kind = observables.guess_kind(t)
    if kind:
        return _observations(kind, t), t, ""
    tokens = t.split(None, 1)
    first = tokens[0].rstrip(",;")
    kind = observables.guess_kind(first)
    if kind in ("domain", "url", "email", "ipv4", "ipv6", "hash"):
        obs = _observations(kind, first)
        if obs:
            rest = t[len(tokens[0]) :].strip() if len(tokens) > 1 else ""
            return obs, first, _one_line(rest)
    return [], "", ""


# --------------------------------------------------------------------------- the feed builder


class _Feed:
    def __init__(self, path: Path, key: str, report_date: date, period: str | None, entry: dict | None):
        self.path = path
        self.key = key
        self.report_date = report_date
        self.ts = _ts(report_date)
        self.period = period
        self.entry = entry
        self.indicators: dict[str, dict] = {}  # pattern -> indicator
        self.indicator_lines: dict[str, list[str]] = {}
        self.indicator_scos: dict[str, list[str]] = {}
        self.scos: dict[str, dict] = {}
        self.attack_patterns: dict[str, dict] = {}
        self.technique_procedures: dict[str, list[str]] = {}
        self.note_lines: list[str] = []
        stem = path.stem
        self.campaign_name = _campaign_name(stem)
        self.campaign_id = _sdo_id("campaign", key)

    def common(self, typ: str, ident: str, *, shared: bool = False) -> dict:
        ts = SHARED_TIMESTAMP if shared else self.ts
        return {
            "type": typ,
            "spec_version": "2.1",
            "id": ident,
            "created_by_ref": META_IDENTITY_ID,
            "created": ts,
            "modified": ts,
        }

    # -- rows -----------------------------------------------------------------------------

    def add_indicator(self, obs: list[_Obs], published: str, line: str, valid_from: date | None,
                      phase: dict | None, name: str, extra_comparison: str | None = None) -> None:
        comparisons = [o.comparison for o in obs]
        if extra_comparison:
            comparisons.append(extra_comparison)
        if not comparisons:
            return
        pattern = " OR ".join(f"[{c}]" for c in comparisons)
        ind = self.indicators.get(pattern)
        vf = _ts(valid_from or self.report_date)
        if ind is None:
            ind = self.common("indicator", _sdo_id("indicator", self.key, pattern))
            ind.update(
                {
                    "name": name,
                    "indicator_types": ["malicious-activity"],
                    "pattern": pattern,
                    "pattern_type": "stix",
                    "pattern_version": "2.1",
                    "valid_from": vf,
                }
            )
            if phase:
                ind["kill_chain_phases"] = [phase]
            self.indicators[pattern] = ind
            self.indicator_lines[pattern] = []
            self.indicator_scos[pattern] = []
        else:
            if vf < ind["valid_from"]:
                ind["valid_from"] = vf
            if phase and phase not in ind.setdefault("kill_chain_phases", []):
                ind["kill_chain_phases"].append(phase)
        if line and line not in self.indicator_lines[pattern]:
            self.indicator_lines[pattern].append(line)
        for o in obs:
            if o.sco is not None:
                self.scos.setdefault(o.sco["id"], o.sco)
                if o.sco["id"] not in self.indicator_scos[pattern]:
                    self.indicator_scos[pattern].append(o.sco["id"])

    def technique(self, tactic_cell: str, technique_cell: str, procedure_cell: str, previous):
        """(technique id, attack-pattern dict, phase) for one kill-chain row, or the previous row's."""
        tech_id = None
        tech_text = _one_line(technique_cell)
        m = _TECH_ID_RE.match(tech_text)
        if m:
            tech_id = f"{int(m.group(1))}.{int(m.group(2))}"
            tech_text = m.group(3).strip()
        else:
            pm = _PROC_ID_RE.match(procedure_cell)
            if pm:
                tech_id = f"{int(pm.group(1))}.{int(pm.group(2))}"
                tech_text = ""
        if tech_id is None:
            if previous is not None and not tech_text:
                return previous
            return None
        ap = self.attack_patterns.get(tech_id)
        if ap is None:
            major = int(tech_id.split(".")[0])
            tactic = TACTICS.get(major)
            if tactic is None:
                tm = _TACTIC_ID_RE.match(tactic_cell)
                tactic = re.sub(r"^\s*\d+\.?\s*", "", _one_line(tactic_cell)) if tm else _one_line(tactic_cell)
                tactic = tactic or f"Tactic {major}"
            name = TECHNIQUES.get(tech_id) or tech_text or f"Technique {tech_id}"
            phase = {"kill_chain_name": KILL_CHAIN_NAME, "phase_name": _slug(tactic) or f"tactic-{major}"}
            ap = self.common("attack-pattern", _sdo_id("attack-pattern", KILL_CHAIN_NAME, tech_id), shared=True)
            ap.update(
                {
                    "name": name,
                    "description": f"Meta Online Operations Kill Chain technique {tech_id} {name} "
                    f"(tactic {major}. {tactic}).",
                    "kill_chain_phases": [phase],
                    "external_references": [
                        {"source_name": KILL_CHAIN_NAME, "external_id": tech_id, "url": KILL_CHAIN_URL}
                    ],
                    "object_marking_refs": list(_MARKINGS),
                }
            )
            self.attack_patterns[tech_id] = ap
            self.technique_procedures[tech_id] = []
        return tech_id, ap, ap["kill_chain_phases"][0]

    def row_killchain(self, cells: list[str], notes_cells: list[str], previous):
        tactic, technique, procedure, indicator = (_clean_cell(c) for c in cells[:4])
        notes = _one_line(" ".join(_clean_cell(c) for c in notes_cells if _clean_cell(c)))
        tech = self.technique(tactic, technique, procedure, previous)
        procedure_line = _one_line(procedure)
        label = procedure_line or (f"{tech[0]} {tech[1]['name']}" if tech else _one_line(technique)) or "unclassified"
        if tech and procedure_line and procedure_line not in self.technique_procedures[tech[0]]:
            self.technique_procedures[tech[0]].append(procedure_line)
        if not indicator and not notes:
            return tech
        obs, published, rest = _classify_cell(indicator)
        if obs:
            text = " ".join(x for x in (rest, notes) if x)
            line = f"[{label}] {_one_line(indicator)}" + (f" -- {text}" if text else "")
            name = f"{_obs_display(obs[0])} ({tech[1]['name'] if tech else 'Meta indicator'})"
            self.add_indicator(obs, published, line, None, tech[2] if tech else None, _one_line(name))
        else:
            body = _one_line(indicator) or "(no indicator)"
            self.note_lines.append(f"- [{label}] {body}" + (f" -- {notes}" if notes else ""))
        return tech

    def row_typed(self, itype: str, value: str, comment: str, ds: str) -> None:
        itype_l = itype.strip().lower()
        value_c = _clean_cell(value)
        comment_c = _one_line(_clean_cell(comment))
        row_date = _parse_date(ds)
        line = comment_c + f" (indicator_type {itype_l or 'unspecified'}" + (f", reported {row_date}" if row_date else "") + ")"
        if not value_c:
            if comment_c:
                self.note_lines.append(f"- [{itype_l or 'unspecified'}] (no value) -- {comment_c}")
            return
        if itype_l in _APP_TYPES:
            prop, label = _APP_TYPES[itype_l]
            comparison = f"software:{prop} = {_pattern_str(value_c)}"
            self.add_indicator([], value_c, line, row_date, None, f"{label} {value_c}"
                               + (f" ({comment_c})" if comment_c else ""), extra_comparison=comparison)
            return
        kind = _TYPE_KINDS.get(itype_l)
        guessed = observables.guess_kind(value_c)
        obs: list[_Obs] = []
        if kind == "ip":
            kind = guessed if guessed in ("ipv4", "ipv6") else None
        elif kind == "hash":
            algo = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "sha512": "SHA-512"}.get(itype_l)
            h = _hash_obs(value_c, algo)
            obs = [h] if h else []
            kind = "hash" if h else None
        elif kind == "domain":
            kind = guessed if guessed in ("domain", "url", "ipv4", "ipv6") else None
        elif kind == "email":
            kind = guessed if guessed == "email" else None
        elif kind is None:
            kind = guessed
        if kind and not obs:
            obs = _observations(kind, value_c)
        if obs:
            norm = observables.normalise(kind, value_c) if kind else value_c
            self.add_indicator(obs, value_c, f"{line}: {_one_line(value_c)}" if norm != value_c else line,
                               row_date, None, f"{norm}" + (f" ({comment_c})" if comment_c else ""))
        else:
            self.note_lines.append(f"- [{itype_l or 'unspecified'}] {_one_line(value_c)}"
                                   + (f" -- {comment_c}" if comment_c else ""))

    # -- output ---------------------------------------------------------------------------

    def build(self) -> list[dict]:
        identity = self.common("identity", META_IDENTITY_ID, shared=True)
        identity.update(
            {
                "name": "Meta",
                "description": "Meta Platforms, Inc. threat research and disruption teams "
                "(github.com/facebook/threat-research).",
                "identity_class": "organization",
                "sectors": ["technology"],
                "object_marking_refs": list(_MARKINGS),
            }
        )
        objects: list[dict] = [identity]

        period = f" ({self.period})" if self.period else ""
        campaign = self.common("campaign", self.campaign_id)
        campaign.update(
            {
                "name": self.campaign_name,
                "description": f"Operation reported by Meta{period}; indicators published in {self.key}.",
                "object_marking_refs": list(_MARKINGS),
            }
        )
        objects.append(campaign)

        relationships: list[dict] = []

        def rel(rtype: str, src: str, tgt: str, description: str | None = None) -> None:
            r = self.common("relationship", _sdo_id("relationship", self.key, rtype, src, tgt))
            r.update({"relationship_type": rtype, "source_ref": src, "target_ref": tgt})
            if description:
                r["description"] = description
            r["object_marking_refs"] = list(_MARKINGS)
            relationships.append(r)

        for tech_id, ap in self.attack_patterns.items():
            objects.append(ap)
            procedures = self.technique_procedures.get(tech_id) or []
            rel("uses", self.campaign_id, ap["id"],
                "Procedures: " + "; ".join(procedures) if procedures else None)

        for pattern, ind in self.indicators.items():
            lines = self.indicator_lines[pattern]
            if lines:
                ind["description"] = "\n".join(lines)
            ind["object_marking_refs"] = list(_MARKINGS)
            objects.append(ind)
            rel("indicates", ind["id"], self.campaign_id)
            for sco_id in self.indicator_scos[pattern]:
                rel("based-on", ind["id"], sco_id)
        objects.extend(self.scos.values())
        objects.extend(relationships)

        if self.note_lines:
            note = self.common("note", _sdo_id("note", self.key))
            note.update(
                {
                    "abstract": f"Details from {self.key} that are not concrete indicators "
                    "(asset counts, behaviours, names)",
                    "content": f"{self.campaign_name}{period} -- rows of {self.key} that are not indicators:\n"
                    + "\n".join(self.note_lines),
                    "authors": ["Meta"],
                    "object_refs": [self.campaign_id] + [ap["id"] for ap in self.attack_patterns.values()],
                    "object_marking_refs": list(_MARKINGS),
                }
            )
            objects.append(note)

        refs = []
        if self.entry:
            urls = [u for u in self.entry.get("reference_urls") or [] if isinstance(u, str) and u]
            refs.extend({"source_name": "meta-threat-report", "url": u} for u in urls)
        refs.append(
            {
                "source_name": "meta-threat-research",
                "external_id": self.key,
                "url": REPO_URL + quote(f"indicators/csv/{self.key}"),
            }
        )
        report = self.common("report", _sdo_id("report", self.key))
        report.update(
            {
                "name": f"Meta threat indicators{period}: {self.campaign_name}",
                "description": f"Indicators published by Meta in {self.key}.",
                "report_types": ["threat-actor", "campaign"],
                "published": self.ts,
                "object_refs": [o["id"] for o in objects],
                "external_references": refs,
                "object_marking_refs": list(_MARKINGS),
            }
        )
        objects.append(report)
        return objects


# --------------------------------------------------------------------------- public entry point

_TYPED_HEADER = ("indicator_type", "indicator_value")
_KILLCHAIN_HEADER = ("tactic", "technique", "procedure", "indicator")


def read_csv_feed(path: Path, *, index: dict | list | None = None) -> list[dict]:
    """STIX 2.1 objects (plain dicts) for one Meta threat-research CSV file.

    ``index`` is the parsed ``index.json`` (its list of entries, a dict of entries keyed by id
    or csv path, or ``{}`` to use none); when None, an ``index.json`` in one of the file's
    parent directories is used if present. Raises :class:`CsvFeedError` for an unreadable file
    or an unknown header layout.
    """
    path = Path(path)
    text = _read_text(path)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise CsvFeedError(f"{path}: not a readable CSV file: {exc}") from exc
    header_at = next((i for i, r in enumerate(rows) if any(c.strip() for c in r)), None)
    if header_at is None:
        raise CsvFeedError(f"{path}: empty file, no header row found")
    header_raw = rows[header_at]
    header = [c.strip().lstrip("\ufeff").strip().lower() for c in header_raw]
    while header and not header[-1]:
        header.pop()
    if tuple(header[:2]) == _TYPED_HEADER:
        layout = "typed"
    elif tuple(header[:4]) == _KILLCHAIN_HEADER:
        layout = "killchain"
    else:
        raise CsvFeedError(
            f"{path}: unknown header layout {header_raw!r}; expected "
            "'indicator_type,indicator_value,comment,ds' or 'Tactic,Technique,Procedure,Indicator[,Notes]'"
        )

    key = _feed_key(path)
    if index is None:
        index = _find_index(path)
    entry = _index_entry(index, path, key)
    name_date, period = _period_from_name(path.stem)
    report_date = None
    if entry:
        report_date = _parse_date(entry.get("reported_ds")) or _parse_date(entry.get("added_ds"))
    report_date = report_date or name_date or FALLBACK_DATE
    if entry and report_date:
        period = period if period and not re.match(r"^\d{4}", period) else report_date.isoformat()

    feed = _Feed(path, key, report_date, period, entry)
    body = rows[header_at + 1 :]
    if layout == "typed":
        col = {name: i for i, name in enumerate(header) if name}
        i_type, i_value = col["indicator_type"], col["indicator_value"]
        i_comment, i_ds = col.get("comment"), col.get("ds")
        extra = [i for i in range(len(header)) if i not in (i_type, i_value, i_comment, i_ds)]
        for r in body:
            if not any(c.strip() for c in r):
                continue
            cell = lambda i: r[i] if i is not None and i < len(r) else ""  # noqa: E731
            comment = cell(i_comment)
            more = [cell(i) for i in extra] + r[len(header):]
            more = [c.strip() for c in more if c.strip()]
            if more:
                comment = " ".join([comment.strip()] + more).strip()
            feed.row_typed(cell(i_type), cell(i_value), comment, cell(i_ds))
    else:
        previous = None
        for r in body:
            if not any(c.strip() for c in r):
                continue
            cells = (r + [""] * 4)[:4]
            previous = feed.row_killchain(cells, r[4:], previous) or previous
    return feed.build()
