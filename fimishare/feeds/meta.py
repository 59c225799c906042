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

import json
import re
import uuid
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from fimishare.feeds.csv_files import CsvFeedError, clean_cell, one_line, parse_date, read_table
from fimishare.feeds.indicators import Observation, classify_cell, display_value, hash_observation, observations, pattern_literal
from fimishare.feeds.meta_reports import ReportFile, report_file
from fimishare.ingest import observables
from fimishare.stix import TLP_CLEAR

__all__ = ["CsvFeedError", "read_csv_feed", "META_IDENTITY_ID", "KILL_CHAIN_NAME"]

_NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/facebook/threat-research")

KILL_CHAIN_NAME = "meta-online-operations-kill-chain"
KILL_CHAIN_URL = "https://github.com/facebook/threat-research/blob/main/Online_Operations_Killchain-TTPs.csv"
REPO_URL = "https://github.com/facebook/threat-research/blob/main/"
# objects shared between files (identity, attack-patterns) get one fixed timestamp so that every
# file produces byte-identical copies of them
SHARED_TIMESTAMP = "2020-01-01T00:00:00.000Z"

META_IDENTITY_ID = f"identity--{uuid.uuid5(_NS, 'identity|meta-platforms')}"
_MARKINGS = [TLP_CLEAR]

# indicator_type values of the older layout -> the kind of observable their value should be
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
_HASH_TYPES = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "sha512": "SHA-512"}
# apps have no standard SCO property: custom properties of software
_APP_TYPES = {
    "android_package_name": ("x_android_package_name", "Android package"),
    "ios_app_id": ("x_ios_app_id", "iOS App Store app id"),
}

_TECH_ID_RE = re.compile(r"^\s*(\d+)\.(\d+)\b\.?\s*(.*)$", re.DOTALL)
_PROC_ID_RE = re.compile(r"^\s*(\d+)\.(\d+)\.(\d+)")
_TACTIC_ID_RE = re.compile(r"^\s*(\d+)\b")


@cache
def _kill_chain() -> dict[str, Any]:
    """Tactic and technique names of the kill chain, keyed by number ("5", "5.2"): see the file's "source"."""
    return cast(dict[str, Any], json.loads(Path(__file__).with_name("meta_kill_chain.json").read_text(encoding="utf-8")))


def _ts(d: date) -> str:
    return f"{d.isoformat()}T00:00:00.000Z"


def _sdo_id(typ: str, *parts: str) -> str:
    return f"{typ}--{uuid.uuid5(_NS, '|'.join((typ,) + parts))}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# A kill-chain technique as a row names it: (technique id, its attack-pattern, its kill-chain phase).
_Technique = tuple[str, dict[str, Any], dict[str, Any]]


class _Feed:
    """The STIX objects of one file, built up row by row."""

    def __init__(self, report: ReportFile):
        self.key = report.key
        self.report_date = report.date
        self.ts = _ts(report.date)
        self.period = report.period
        self.report_urls = report.urls
        self.campaign_name = report.campaign_name
        self.campaign_id = _sdo_id("campaign", report.key)
        self.indicators: dict[str, dict[str, Any]] = {}  # pattern -> indicator
        self.indicator_lines: dict[str, list[str]] = {}
        self.indicator_scos: dict[str, list[str]] = {}
        self.scos: dict[str, dict[str, Any]] = {}
        self.attack_patterns: dict[str, dict[str, Any]] = {}
        self.technique_procedures: dict[str, list[str]] = {}
        self.note_lines: list[str] = []

    def common(self, typ: str, ident: str, *, shared: bool = False) -> dict[str, Any]:
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

    def add_indicator(
        self,
        obs: list[Observation],
        published: str,
        line: str,
        valid_from: date | None,
        phase: dict[str, Any] | None,
        name: str,
        extra_comparison: str | None = None,
    ) -> None:
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

    def technique(self, tactic_cell: str, technique_cell: str, procedure_cell: str, previous: _Technique | None) -> _Technique | None:
        """(technique id, attack-pattern dict, phase) for one kill-chain row, or the previous row's."""
        tech_id = None
        tech_text = one_line(technique_cell)
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
            tactic = _kill_chain()["tactics"].get(str(major))
            if tactic is None:
                tm = _TACTIC_ID_RE.match(tactic_cell)
                tactic = re.sub(r"^\s*\d+\.?\s*", "", one_line(tactic_cell)) if tm else one_line(tactic_cell)
                tactic = tactic or f"Tactic {major}"
            name = _kill_chain()["techniques"].get(tech_id) or tech_text or f"Technique {tech_id}"
            phase = {"kill_chain_name": KILL_CHAIN_NAME, "phase_name": _slug(tactic) or f"tactic-{major}"}
            ap = self.common("attack-pattern", _sdo_id("attack-pattern", KILL_CHAIN_NAME, tech_id), shared=True)
            ap.update(
                {
                    "name": name,
                    "description": f"Meta Online Operations Kill Chain technique {tech_id} {name} (tactic {major}. {tactic}).",
                    "kill_chain_phases": [phase],
                    "external_references": [{"source_name": KILL_CHAIN_NAME, "external_id": tech_id, "url": KILL_CHAIN_URL}],
                    "object_marking_refs": list(_MARKINGS),
                }
            )
            self.attack_patterns[tech_id] = ap
            self.technique_procedures[tech_id] = []
        return tech_id, ap, ap["kill_chain_phases"][0]

    def row_killchain(self, cells: list[str], notes_cells: list[str], previous: _Technique | None) -> _Technique | None:
        tactic, technique, procedure, indicator = (clean_cell(c) for c in cells[:4])
        notes = one_line(" ".join(clean_cell(c) for c in notes_cells if clean_cell(c)))
        tech = self.technique(tactic, technique, procedure, previous)
        procedure_line = one_line(procedure)
        label = procedure_line or (f"{tech[0]} {tech[1]['name']}" if tech else one_line(technique)) or "unclassified"
        if tech and procedure_line and procedure_line not in self.technique_procedures[tech[0]]:
            self.technique_procedures[tech[0]].append(procedure_line)
        if not indicator and not notes:
            return tech
        obs, published, rest = classify_cell(indicator)
        if obs:
            text = " ".join(x for x in (rest, notes) if x)
            line = f"[{label}] {one_line(indicator)}" + (f" -- {text}" if text else "")
            name = f"{display_value(obs[0])} ({tech[1]['name'] if tech else 'Meta indicator'})"
            self.add_indicator(obs, published, line, None, tech[2] if tech else None, one_line(name))
        else:
            body = one_line(indicator) or "(no indicator)"
            self.note_lines.append(f"- [{label}] {body}" + (f" -- {notes}" if notes else ""))
        return tech

    def row_typed(self, itype: str, value: str, comment: str, ds: str) -> None:
        itype_l = itype.strip().lower()
        value_c = clean_cell(value)
        comment_c = one_line(clean_cell(comment))
        row_date = parse_date(ds)
        line = comment_c + f" (indicator_type {itype_l or 'unspecified'}" + (f", reported {row_date}" if row_date else "") + ")"
        if not value_c:
            if comment_c:
                self.note_lines.append(f"- [{itype_l or 'unspecified'}] (no value) -- {comment_c}")
            return
        if itype_l in _APP_TYPES:
            prop, label = _APP_TYPES[itype_l]
            comparison = f"software:{prop} = {pattern_literal(value_c)}"
            self.add_indicator(
                [],
                value_c,
                line,
                row_date,
                None,
                f"{label} {value_c}" + (f" ({comment_c})" if comment_c else ""),
                extra_comparison=comparison,
            )
            return
        kind = _TYPE_KINDS.get(itype_l)
        guessed = observables.guess_kind(value_c)
        obs: list[Observation] = []
        if kind == "ip":
            kind = guessed if guessed in ("ipv4", "ipv6") else None
        elif kind == "hash":
            algo = _HASH_TYPES.get(itype_l)
            h = hash_observation(value_c, algo)
            obs = [h] if h else []
            kind = "hash" if h else None
        elif kind == "domain":
            kind = guessed if guessed in ("domain", "url", "ipv4", "ipv6") else None
        elif kind == "email":
            kind = guessed if guessed == "email" else None
        elif kind is None:
            kind = guessed
        if kind and not obs:
            obs = observations(kind, value_c)
        if obs:
            norm = observables.normalise(kind, value_c) if kind else value_c
            self.add_indicator(
                obs,
                value_c,
                f"{line}: {one_line(value_c)}" if norm != value_c else line,
                row_date,
                None,
                f"{norm}" + (f" ({comment_c})" if comment_c else ""),
            )
        else:
            self.note_lines.append(f"- [{itype_l or 'unspecified'}] {one_line(value_c)}" + (f" -- {comment_c}" if comment_c else ""))

    # -- output ---------------------------------------------------------------------------

    def build(self) -> list[dict[str, Any]]:
        identity = self.common("identity", META_IDENTITY_ID, shared=True)
        identity.update(
            {
                "name": "Meta",
                "description": "Meta Platforms, Inc. threat research and disruption teams (github.com/facebook/threat-research).",
                "identity_class": "organization",
                "sectors": ["technology"],
                "object_marking_refs": list(_MARKINGS),
            }
        )
        objects: list[dict[str, Any]] = [identity]

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

        relationships: list[dict[str, Any]] = []

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
            rel("uses", self.campaign_id, ap["id"], "Procedures: " + "; ".join(procedures) if procedures else None)

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
                    "abstract": f"Details from {self.key} that are not concrete indicators (asset counts, behaviours, names)",
                    "content": f"{self.campaign_name}{period} -- rows of {self.key} that are not indicators:\n"
                    + "\n".join(self.note_lines),
                    "authors": ["Meta"],
                    "object_refs": [self.campaign_id] + [ap["id"] for ap in self.attack_patterns.values()],
                    "object_marking_refs": list(_MARKINGS),
                }
            )
            objects.append(note)

        refs = [{"source_name": "meta-threat-report", "url": u} for u in self.report_urls]
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


_TYPED_HEADER = ("indicator_type", "indicator_value")
_KILLCHAIN_HEADER = ("tactic", "technique", "procedure", "indicator")


def read_csv_feed(path: Path, *, index: dict[str, Any] | list[Any] | None = None) -> list[dict[str, Any]]:
    """STIX 2.1 objects (plain dicts) for one Meta threat-research CSV file.

    ``index`` is the parsed ``index.json`` (its list of entries, a dict of entries keyed by id
    or csv path, or ``{}`` to use none); when None, an ``index.json`` in one of the file's
    parent directories is used if present. Raises :class:`CsvFeedError` for an unreadable file
    or an unknown header layout.
    """
    path = Path(path)
    table = read_table(path)
    header = table.header
    if tuple(header[:2]) == _TYPED_HEADER:
        layout = "typed"
    elif tuple(header[:4]) == _KILLCHAIN_HEADER:
        layout = "killchain"
    else:
        raise CsvFeedError(
            f"{path}: unknown header layout {table.raw_header!r}; expected "
            "'indicator_type,indicator_value,comment,ds' or 'Tactic,Technique,Procedure,Indicator[,Notes]'"
        )

    feed = _Feed(report_file(path, index))
    if layout == "typed":
        col = {name: i for i, name in enumerate(header) if name}
        i_type, i_value = col["indicator_type"], col["indicator_value"]
        i_comment, i_ds = col.get("comment"), col.get("ds")
        extra = [i for i in range(len(header)) if i not in (i_type, i_value, i_comment, i_ds)]
        for r in table.rows:
            comment = _cell(r, i_comment)
            # cells past the known columns are more comment, not lost
            more = [_cell(r, i) for i in extra] + r[len(header) :]
            more = [c.strip() for c in more if c.strip()]
            if more:
                comment = " ".join([comment.strip()] + more).strip()
            feed.row_typed(_cell(r, i_type), _cell(r, i_value), comment, _cell(r, i_ds))
    else:
        previous = None
        for r in table.rows:
            cells = (r + [""] * 4)[:4]
            previous = feed.row_killchain(cells, r[4:], previous) or previous
    return feed.build()


def _cell(row: list[str], i: int | None) -> str:
    return row[i] if i is not None and i < len(row) else ""
