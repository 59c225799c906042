"""Reading a feed's CSV file as partners actually write them, whatever the feed's layout.

Files come in UTF-8 with or without a byte-order mark or in Windows code pages, with blank rows
before the header and between sections, stray spaces in header names and multi-line quoted cells.
A feed reader gets the header normalised and only the rows that hold something; dates and report
periods are read from cells and file names here too.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple, cast

__all__ = [
    "CsvFeedError",
    "CsvTable",
    "clean_cell",
    "find_index",
    "one_line",
    "parse_date",
    "period_from_name",
    "read_table",
]


class CsvFeedError(ValueError):
    """A feed file that cannot be read or whose header layout is unknown."""


class CsvTable(NamedTuple):
    raw_header: list[str]  # as written, for error messages
    header: list[str]  # names stripped and lower-cased, trailing empty ones dropped
    rows: list[list[str]]  # below the header, blank rows left out


def read_table(path: Path) -> CsvTable:
    """The header and the non-blank rows of a CSV file; :class:`CsvFeedError` if there are none or it cannot be read."""
    text = _read_text(path)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise CsvFeedError(f"{path}: not a readable CSV file: {exc}") from exc
    header_at = next((i for i, r in enumerate(rows) if not _is_blank(r)), None)
    if header_at is None:
        raise CsvFeedError(f"{path}: empty file, no header row found")
    raw_header = rows[header_at]
    header = [c.strip().lstrip("\ufeff").strip().lower() for c in raw_header]
    while header and not header[-1]:
        header.pop()
    return CsvTable(raw_header, header, [r for r in rows[header_at + 1 :] if not _is_blank(r)])


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
    # latin-1 decodes any bytes: a file in an unknown code page still imports, with odd letters
    return raw.decode("latin-1")


def _is_blank(row: list[str]) -> bool:
    return not any(c.strip() for c in row)


def clean_cell(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def one_line(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text).strip()


def find_index(path: Path) -> list[Any] | dict[str, Any] | None:
    """The parsed ``index.json`` nearest above the file (up to five levels), None if there is none or it is unreadable."""
    for parent in list(path.resolve().parents)[:5]:
        candidate = parent / "index.json"
        if candidate.is_file():
            try:
                return cast("list[Any] | dict[str, Any]", json.loads(candidate.read_text(encoding="utf-8-sig")))
            except (OSError, ValueError):
                return None
    return None


def parse_date(text: object) -> date | None:
    """The date a cell or an index field starts with (``2023-05-03``, ``2023-05-03 12:00``), None otherwise."""
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


def period_from_name(stem: str) -> tuple[date | None, str | None]:
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
