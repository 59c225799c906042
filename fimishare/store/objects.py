"""Every version of every STIX object, with its provenance and its observable values."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

import orjson
from sqlalchemy import and_, func, insert, select, tuple_
from sqlalchemy.engine import Connection, Engine

from fimishare.store import timeline
from fimishare.store.database import WRITE
from fimishare.store.schema import collection_entries, object_versions, observables

STORED = "stored"
UNCHANGED = "unchanged"
CONFLICT = "conflict"

_VERSION_COLUMNS = (
    "id", "type", "spec_version", "modified_us", "created", "modified", "revoked", "created_by_ref", "marking_refs",
    "tlp", "source_org", "submitted_by", "entry_path", "date_added_us", "content_hash", "json",
)


def _bulk_insert(connection: Connection, table, columns: tuple[str, ...], rows: list[tuple]) -> int:
    """executemany straight to the driver, with bound parameters (SQLAlchemy's per-row
    processing cost more than the database's own insert); rows whose key is already
    there are skipped. Returns how many were inserted."""
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    statement = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))}) ON CONFLICT DO NOTHING"
    )
    return connection.exec_driver_sql(statement, rows).rowcount


def _version_rows(versions: list[Version], added: list[int], provenance: Provenance) -> list[tuple]:
    return [
        (
            version.obj["id"],
            version.obj["type"],
            version.obj.get("spec_version", "2.1"),
            version.modified_us,
            version.obj.get("created"),
            version.obj.get("modified"),
            bool(version.obj.get("revoked", False)),
            version.obj.get("created_by_ref"),
            orjson.dumps(version.marking_refs).decode(),
            version.tlp,
            provenance.source_org,
            provenance.submitted_by,
            provenance.entry_path,
            date_added_us,
            version.content_hash,
            version.json,
        )
        for version, date_added_us in zip(versions, added)
    ]


# Keeps each IN (...) list well under SQLite's and PostgreSQL's limits on bound parameters.
_CHUNK = 500


@dataclass(frozen=True)
class Provenance:
    source_org: str  # the organisation the object came from; this node's own for local entries
    entry_path: str  # portal, api, taxii, sync, import or admin
    submitted_by: str | None = None  # the account's identity id


@dataclass(slots=True)
class Version:
    """One object version, ready to store: everything derived from the object once, in ingest."""

    obj: dict
    modified_us: int
    json: str
    content_hash: str
    marking_refs: tuple[str, ...]
    tlp: str | None
    observables: tuple[tuple[str, str], ...]
    references: tuple[tuple[str, str], ...] = ()  # (JSON path, id) of every reference the object makes

    @property
    def id(self) -> str:
        return self.obj["id"]

    @property
    def key(self) -> tuple[str, int]:
        return self.obj["id"], self.modified_us


@dataclass(frozen=True)
class StoredVersion:
    obj: dict
    source_org: str
    submitted_by: str | None
    entry_path: str
    date_added_us: int

    @property
    def date_added(self) -> str:
        return timeline.to_timestamp(self.date_added_us)


class ObjectStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    # -- writing -------------------------------------------------------------

    def write(self, versions: list[Version], provenance: Provenance) -> list[str]:
        """Store the versions in one transaction; per version STORED, UNCHANGED or CONFLICT.

        CONFLICT means the store already holds that (id, modified) with other content;
        nothing is written for it. The caller makes sure `versions` has no duplicate keys.
        """
        if not versions:
            return []
        with self.engine.connect().execution_options(**WRITE) as connection, connection.begin():
            added = timeline.allocate(connection, timeline.STORE_TIMELINE, len(versions))
            # Insert first and ask only when something was already there: on a first import
            # (the common case) that saves a query per batch.
            inserted = _bulk_insert(connection, object_versions, _VERSION_COLUMNS, _version_rows(versions, added, provenance))
            if inserted == len(versions):
                outcomes = [STORED] * len(versions)
            else:
                held = self._held(connection, [v.id for v in versions])
                outcomes = []
                for version, date_added_us in zip(versions, added):
                    content_hash, held_added_us = held[version.key]
                    if held_added_us == date_added_us:
                        outcomes.append(STORED)
                    else:
                        outcomes.append(UNCHANGED if content_hash == version.content_hash else CONFLICT)
            observable_rows = [
                (date_added_us, kind, value)
                for version, date_added_us, outcome in zip(versions, added, outcomes)
                if outcome == STORED
                for kind, value in version.observables
            ]
            if observable_rows:
                _bulk_insert(connection, observables, ("version_added_us", "kind", "value"), observable_rows)
        return outcomes

    def _held(self, connection: Connection, ids: list[str]) -> dict[tuple[str, int], tuple[str, int]]:
        """(content hash, date_added) of every version the store holds of these ids."""
        held = {}
        unique = sorted(set(ids))
        for start in range(0, len(unique), _CHUNK):
            rows = connection.execute(
                select(
                    object_versions.c.id, object_versions.c.modified_us, object_versions.c.content_hash, object_versions.c.date_added_us
                ).where(object_versions.c.id.in_(unique[start : start + _CHUNK]))
            )
            held.update({(row.id, row.modified_us): (row.content_hash, row.date_added_us) for row in rows})
        return held

    def add_to_collection(self, collection_id: str, version_keys: list[tuple[str, int]]) -> list[int]:
        """Record versions as posted into a collection; returns their date_added there (0 where already in it)."""
        with self.engine.connect().execution_options(**WRITE) as connection, connection.begin():
            pks = self._pks(connection, version_keys)
            present = set(
                connection.execute(
                    select(collection_entries.c.version_pk).where(
                        collection_entries.c.collection_id == collection_id,
                        collection_entries.c.version_pk.in_([pk for pk in pks.values()]),
                    )
                ).scalars()
            )
            new = [key for key in dict.fromkeys(version_keys) if pks.get(key) not in present]
            missing = [key for key in new if key not in pks]
            if missing:
                raise KeyError(f"not in the store: {missing[0][0]} (version {timeline.to_timestamp(missing[0][1])})")
            added = timeline.allocate(connection, timeline.collection_timeline(collection_id), len(new))
            if new:
                connection.execute(
                    insert(collection_entries),
                    [{"collection_id": collection_id, "version_pk": pks[k], "date_added_us": d} for k, d in zip(new, added)],
                )
            by_key = dict(zip(new, added))
            return [by_key.get(key, 0) for key in version_keys]

    def _pks(self, connection: Connection, keys: list[tuple[str, int]]) -> dict[tuple[str, int], int]:
        found = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            rows = connection.execute(
                select(object_versions.c.id, object_versions.c.modified_us, object_versions.c.pk).where(
                    tuple_(object_versions.c.id, object_versions.c.modified_us).in_(chunk)
                )
            )
            found.update({(r.id, r.modified_us): r.pk for r in rows})
        return found

    # -- reading -------------------------------------------------------------

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        wanted = sorted(set(ids))
        found: set[str] = set()
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), _CHUNK):
                found.update(
                    connection.execute(
                        select(object_versions.c.id).where(object_versions.c.id.in_(wanted[start : start + _CHUNK])).distinct()
                    ).scalars()
                )
        return found

    def latest(self, ids: Iterable[str]) -> dict[str, dict]:
        """The newest version of each of `ids` that the store holds."""
        return {object_id: version.obj for object_id, version in self.latest_versions(ids).items()}

    def versions(self, object_id: str) -> list[StoredVersion]:
        """Every stored version of the object, oldest (by modified) first."""
        with self.engine.connect() as connection:
            return list(self._select(connection, ids=[object_id], all_versions=True, by_modified=True))

    def latest_versions(self, ids: Iterable[str]) -> dict[str, StoredVersion]:
        """The newest stored version of each of `ids`, with its provenance."""
        wanted = sorted(set(ids))
        found = {}
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), _CHUNK):
                for version in self._select(connection, ids=wanted[start : start + _CHUNK]):
                    found[version.obj["id"]] = version
        return found

    def iter_versions(
        self,
        *,
        types: Iterable[str] | None = None,
        all_versions: bool = False,
        batch: int = 2000,
        added_after_us: int | None = None,
    ) -> Iterator[StoredVersion]:
        """Stored versions in date_added order (newest version of each object only, unless all_versions),
        only those added after `added_after_us` when given."""
        after = added_after_us
        types = sorted(types) if types else None
        while True:
            with self.engine.connect() as connection:
                page = list(self._select(connection, types=types, all_versions=all_versions, after=after, limit=batch))
            yield from page
            if len(page) < batch:
                return
            after = page[-1].date_added_us

    def _select(self, connection, *, ids=None, types=None, all_versions=False, after=None, limit=None, by_modified=False):
        v = object_versions
        query = select(v.c.json, v.c.source_org, v.c.submitted_by, v.c.entry_path, v.c.date_added_us)
        conditions = []
        if ids is not None:
            conditions.append(v.c.id.in_(ids))
        if types:
            conditions.append(v.c.type.in_(types))
        if after is not None:
            conditions.append(v.c.date_added_us > after)
        if not all_versions:
            newer = object_versions.alias("newer")
            newest = select(func.max(newer.c.modified_us)).where(newer.c.id == v.c.id).scalar_subquery()
            conditions.append(v.c.modified_us == newest)
        order = (v.c.modified_us, v.c.date_added_us) if by_modified else (v.c.date_added_us,)
        query = query.where(and_(*conditions)).order_by(*order)
        if limit:
            query = query.limit(limit)
        for row in connection.execute(query):
            yield StoredVersion(orjson.loads(row.json), row.source_org, row.submitted_by, row.entry_path, row.date_added_us)

    def count(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(object_versions)).scalar_one()

    def lookup(self, values: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
        """Object ids holding each (kind, normalised value)."""
        wanted = list(dict.fromkeys(values))
        found: dict[tuple[str, str], list[str]] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), _CHUNK):
                rows = connection.execute(
                    select(observables.c.kind, observables.c.value, object_versions.c.id)
                    .join(object_versions, object_versions.c.date_added_us == observables.c.version_added_us)
                    .where(tuple_(observables.c.kind, observables.c.value).in_(wanted[start : start + _CHUNK]))
                    .distinct()
                )
                for row in rows:
                    found.setdefault((row.kind, row.value), []).append(row.id)
        return found
