"""The embedded search engine: SQLite FTS5 in a file of the node's home, no server needed.

The trigram tokenizer matches any part of a word of three characters or more, which
finds Japanese words (no spaces between them) and parts of domains alike; shorter words
(two-character Japanese words) are matched with LIKE over the same table. English words
are matched by their stem as a substring, close to what Elasticsearch's English analysis
finds (docs/search.md says where the two differ).
"""

from __future__ import annotations

import html
import re
import sqlite3
import threading
from pathlib import Path
from typing import Any, cast

import orjson

from fimishare.search.documents import KEYWORD_FIELDS
from fimishare.search.query import (
    END_MARK,
    FACET_SIZE,
    FACETS,
    HIGHLIGHT_FIELDS,
    MARK,
    Hit,
    LookupResult,
    SearchQuery,
    SearchResult,
    has_cjk,
    lookup_results,
    next_token,
    observable_keys,
)
from fimishare.sharing.access import Readable
from fimishare.store import timeline

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    date_us INTEGER NOT NULL,
    access_class INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_date ON docs (date_us, id);
CREATE INDEX IF NOT EXISTS docs_access ON docs (access_class);
CREATE TABLE IF NOT EXISTS terms (
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    doc INTEGER NOT NULL,
    PRIMARY KEY (field, value, doc)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS terms_doc ON terms (doc);
CREATE VIRTUAL TABLE IF NOT EXISTS text USING fts5 (name, description, content, observables, tokenize = 'trigram');
"""
_TEXT_COLUMNS = ("name", "description", "content", "observables")
# bm25 weights of the text columns: a word in the name counts most.
_WEIGHTS = "3.0, 2.0, 1.0, 1.0"
_SUFFIXES = ("ies", "ing", "es", "ed", "ly", "s")
_SECONDS = "m.date_us / 1000000, 'unixepoch'"
_BUCKETS = {
    "day": f"strftime('%Y-%m-%d', {_SECONDS})",
    "week": f"date({_SECONDS}, '-6 days', 'weekday 1')",  # the Monday starting the week, as Elasticsearch has it
    "month": f"strftime('%Y-%m', {_SECONDS})",
    "year": f"strftime('%Y', {_SECONDS})",
}


def stem(word: str) -> str:
    """The part of an English word its inflections share ("campaigns" -> "campaign")."""
    if has_cjk(word) or not word.isalpha():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


class EmbeddedEngine:
    name = "embedded"

    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA busy_timeout=60000")
            db.executescript(_SCHEMA)
            self._local.db = db
        return db

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def reset(self) -> None:
        db = self._db()
        db.executescript("DROP TABLE IF EXISTS docs; DROP TABLE IF EXISTS terms; DROP TABLE IF EXISTS text;")
        db.executescript(_SCHEMA)

    def refresh(self) -> None:
        """Nothing to do: what a write commits is searchable at once."""

    def count(self) -> int:
        return cast(int, self._db().execute("SELECT count(*) FROM docs").fetchone()[0])

    # -- writing -------------------------------------------------------------

    def index(self, documents: list[tuple[dict[str, Any], int]]) -> None:
        """Add or replace documents, each with its version: an older version never replaces a newer one."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            for doc, version in documents:
                row = db.execute("SELECT rowid, version FROM docs WHERE id = ?", (doc["id"],)).fetchone()
                if row is not None:
                    if row[1] > version:
                        continue
                    rowid = row[0]
                    db.execute("DELETE FROM terms WHERE doc = ?", (rowid,))
                    db.execute("DELETE FROM text WHERE rowid = ?", (rowid,))
                    db.execute(
                        "UPDATE docs SET version = ?, date_us = ?, access_class = ?, body = ? WHERE rowid = ?",
                        (version, timeline.from_timestamp(doc["date"]), doc["access_class"], orjson.dumps(doc).decode(), rowid),
                    )
                else:
                    rowid = db.execute(
                        "INSERT INTO docs (id, version, date_us, access_class, body) VALUES (?, ?, ?, ?, ?)",
                        (doc["id"], version, timeline.from_timestamp(doc["date"]), doc["access_class"], orjson.dumps(doc).decode()),
                    ).lastrowid
                db.executemany(
                    "INSERT OR IGNORE INTO terms (field, value, doc) VALUES (?, ?, ?)",
                    [(name, value, rowid) for name in KEYWORD_FIELDS for value in _values(doc.get(name))],
                )
                db.execute(
                    "INSERT INTO text (rowid, name, description, content, observables) VALUES (?, ?, ?, ?, ?)",
                    (rowid, doc["name"] or "", doc["description"] or "", doc["content"], " ".join(doc["observable_values"])),
                )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # -- reading -------------------------------------------------------------

    def search(self, query: SearchQuery, readable: Readable) -> SearchResult:
        db = self._db()
        where, params, rank = self._conditions(query, readable)
        db.execute("BEGIN")  # one snapshot for hits, totals and facets
        try:
            db.execute("DROP TABLE IF EXISTS temp.matched")
            # Keyed by doc: facets then look each hit's terms up, rather than scan the terms of every document.
            db.execute(
                "CREATE TEMP TABLE matched (doc INTEGER PRIMARY KEY, id TEXT NOT NULL, date_us INTEGER NOT NULL, rank REAL NOT NULL)"
            )
            db.execute(
                f"INSERT INTO matched SELECT d.rowid, d.id, d.date_us, {rank} "
                f"FROM docs d {'JOIN text ON text.rowid = d.rowid' if rank != '0.0' else ''} WHERE {where}",
                params,
            )
            total = db.execute("SELECT count(*) FROM matched").fetchone()[0]
            hits, following = self._page(db, query)
            counted: dict[str, list[tuple[str, int]]] = {}
            for name, value, count in db.execute(
                f"SELECT t.field, t.value, count(*) FROM matched m JOIN terms t ON t.doc = m.doc "
                f"WHERE t.field IN ({', '.join('?' * len(FACETS))}) GROUP BY t.field, t.value",
                FACETS,
            ):
                counted.setdefault(name, []).append((value, count))
            facets = {
                name: dict(sorted(counted[name], key=lambda pair: (-pair[1], pair[0]))[:FACET_SIZE]) for name in FACETS if name in counted
            }
            histogram = [
                tuple(row)
                for row in db.execute(
                    f"SELECT {_BUCKETS[query.interval]} AS bucket, count(*) FROM matched m GROUP BY bucket ORDER BY bucket"
                )
            ]
            db.execute("DROP TABLE temp.matched")
        finally:
            db.execute("COMMIT")
        return SearchResult(total, [self._hit(body, query) for body in hits], facets, histogram, following)

    def _conditions(self, query: SearchQuery, readable: Readable) -> tuple[str, list[Any], str]:
        conditions, params = [], []
        access, access_params = _access(readable)
        conditions.append(access)
        params += access_params
        long_words = [stem(w) for w in query.words if len(stem(w)) >= 3]
        short_words = [w for w in query.words if len(stem(w)) < 3]
        rank = "0.0"
        if long_words:
            conditions.append("text MATCH ?")
            params.append(" AND ".join('"' + w.replace('"', '""') + '"' for w in long_words))
            rank = f"bm25(text, {_WEIGHTS})"
        for word in short_words:
            pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            conditions.append(
                "d.rowid IN (SELECT rowid FROM text WHERE " + " OR ".join(f"{column} LIKE ? ESCAPE '\\'" for column in _TEXT_COLUMNS) + ")"
            )
            params += [pattern] * len(_TEXT_COLUMNS)
        for name, values in query.filters.items():
            conditions.append(f"d.rowid IN (SELECT doc FROM terms WHERE field = ? AND value IN ({', '.join('?' * len(values))}))")
            params += [name, *values]
        if query.since:
            conditions.append("d.date_us >= ?")
            params.append(timeline.from_timestamp(query.since))
        if query.until:
            conditions.append("d.date_us <= ?")
            params.append(timeline.from_timestamp(query.until))
        return " AND ".join(conditions), params, rank

    @staticmethod
    def _page(db: sqlite3.Connection, query: SearchQuery) -> tuple[list[dict[str, Any]], str | None]:
        after = query.after_key()
        if query.by_relevance:
            order, sort_column = "m.rank, m.id", "rank"
            condition = "(m.rank > ? OR (m.rank = ? AND m.id > ?))"
        else:
            order, sort_column = "m.date_us DESC, m.id", "date_us"
            condition = "(m.date_us < ? OR (m.date_us = ? AND m.id > ?))"
        params: list[Any] = []
        where = ""
        if after is not None:
            where = f"WHERE {condition}"
            params += [after[0], after[0], after[1]]
        rows = db.execute(
            f"SELECT m.{sort_column}, m.id, d.body FROM matched m JOIN docs d ON d.rowid = m.doc {where} ORDER BY {order} LIMIT ?",
            [*params, query.size],
        ).fetchall()
        following = next_token(rows[-1][0], rows[-1][1]) if rows and len(rows) == query.size else None
        return [orjson.loads(row[2]) for row in rows], following

    @staticmethod
    def _hit(body: dict[str, Any], query: SearchQuery) -> Hit:
        return Hit(body["id"], body["type"], body["name"], body["date"], body["tlp"], body["partner"], highlight(body, query.words))

    def lookup(self, values: list[str], readable: Readable) -> list[LookupResult]:
        keys = observable_keys(values)
        wanted = sorted({f"{kind}:{normalised}" for _value, kind, normalised in keys if kind})
        access, access_params = _access(readable)
        found: dict[str, set[str]] = {}
        db = self._db()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = db.execute(
                f"SELECT t.value, d.id FROM terms t JOIN docs d ON d.rowid = t.doc "
                f"WHERE t.field = 'observables' AND t.value IN ({', '.join('?' * len(chunk))}) AND {access}",
                [*chunk, *access_params],
            )
            for key, object_id in rows:
                found.setdefault(key, set()).add(object_id)
        return lookup_results(keys, found)


def _access(readable: Readable) -> tuple[str, list[Any]]:
    if readable.only is None:
        return "d.access_class <= ?", [readable.up_to]
    return "d.access_class IN (SELECT value FROM json_each(?))", [orjson.dumps(sorted(readable.only)).decode()]


def _values(value: object) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def highlight(body: dict[str, Any], words: list[str], fragment: int = 150, fragments: int = 3) -> dict[str, list[str]]:
    """Fragments of the text fields around the words, the words marked, the rest HTML-escaped."""
    needles = sorted({stem(w) for w in words}, key=len, reverse=True)
    if not needles:
        return {}
    pattern = re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)
    found: dict[str, list[str]] = {}
    for name in HIGHLIGHT_FIELDS:
        text = body.get(name) or ""
        spans = [m.span() for m in pattern.finditer(text)]
        if not spans:
            continue
        pieces: list[str] = []
        end_of_last = -1
        for start, _end in spans:
            if start < end_of_last or len(pieces) == fragments:
                continue
            begin = max(0, start - fragment // 3)
            stop = min(len(text), begin + fragment)
            piece = text[begin:stop]
            pieces.append(_mark(piece, pattern))
            end_of_last = stop
        found[name] = pieces
    return found


def _mark(text: str, pattern: re.Pattern[str]) -> str:
    out, last = [], 0
    for m in pattern.finditer(text):
        out += [html.escape(text[last : m.start()]), MARK, html.escape(m.group()), END_MARK]
        last = m.end()
    out.append(html.escape(text[last:]))
    return "".join(out)
