"""Which of Meta's threat reports a CSV file of github.com/facebook/threat-research belongs to.

The repository keeps its files below ``indicators/csv`` and lists most of them in ``index.json``
with the report's dates and pages. A file without an entry is dated from its name (``2021_07_...``,
``Q1_2023 ...``), and the operation is always named from the file name, which is all it has.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple, cast

from fimishare.feeds.csv_files import find_index, parse_date, period_from_name

__all__ = ["ReportFile", "report_file"]

# for a file with neither an index entry nor a date in its name: before any file of the repository
FALLBACK_DATE = date(2020, 1, 1)


class ReportFile(NamedTuple):
    key: str  # the file's path below indicators/csv, else its name: the same in every checkout
    date: date
    period: str | None  # what the report covers, as a label: "Q1 2023", "2021-07", a date
    campaign_name: str
    urls: list[str]  # the report's pages listed in index.json


def report_file(path: Path, index: dict[str, Any] | list[Any] | None) -> ReportFile:
    """What is known of the report behind ``path``; ``index`` as for :func:`fimishare.feeds.meta.read_csv_feed`."""
    key = _feed_key(path)
    if index is None:
        index = find_index(path)
    entry = _index_entry(index, path, key)
    name_date, period = period_from_name(path.stem)
    report_date = None
    if entry:
        report_date = parse_date(entry.get("reported_ds")) or parse_date(entry.get("added_ds"))
    report_date = report_date or name_date or FALLBACK_DATE
    urls = []
    if entry:
        # the entry's date is more precise than a year or a month read from the name
        period = period if period and not re.match(r"^\d{4}", period) else report_date.isoformat()
        urls = [u for u in entry.get("reference_urls") or [] if isinstance(u, str) and u]
    return ReportFile(key, report_date, period, _campaign_name(path.stem), urls)


def _feed_key(path: Path) -> str:
    parts = path.parts
    for i in range(len(parts) - 1, 0, -1):
        if parts[i] == "csv" and parts[i - 1] == "indicators":
            return "/".join(parts[i + 1 :])
    return path.name


def _index_entry(index: dict[str, Any] | list[Any] | None, path: Path, key: str) -> dict[str, Any] | None:
    """The file's entry in ``index.json``, which has been a list of entries and a dict keyed by id or path."""
    if not index:
        return None
    if isinstance(index, dict):
        for k in (f"indicators/csv/{key}", key, path.stem, path.name):
            if isinstance(index.get(k), dict):
                return cast(dict[str, Any], index[k])
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


# file names are lower-case with underscores or a mix of cases: words whose case cannot be guessed
_UPPER_WORDS = {"cib", "ib", "apt", "us", "usa", "uk", "ioc", "iocs", "ngo", "eu", "q1", "q2", "q3", "q4"}
_LOWER_WORDS = set(
    """
    network networks based targeting cluster recidivist espionage and in of from against for the on hackers
    action taking removing coordinated inauthentic behavior adversarial threat report malicious mobile apps
    malware surveillance hire operation campaign cross platform
    """.split()
)
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
    """The operation's name from a file name without its date, export prefix and "updated" suffix."""
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
