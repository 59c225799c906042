"""Every version of every STIX object, with its provenance and its observable values."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import orjson
from sqlalchemy import ColumnElement, and_, func, select, true, tuple_
from sqlalchemy.engine import Connection, Engine

from fimishare.sharing.access import AccessClass, Readable, access_class_of
from fimishare.sharing.authority import Holder, version_refusal
from fimishare.sharing.markings import is_exercise_marking
from fimishare.stix import EntryPath, Outcome, spec_version_of
from fimishare.store import timeline
from fimishare.store.collections import readable_by
from fimishare.store.database import WRITE, copy_rows, insert_rows, refresh_statistics
from fimishare.store.membership import ENTRY_COLUMNS, CollectionFilter, entry_row, exercise_markings, fill, load_filters
from fimishare.store.schema import access_classes, collection_entries, object_versions, observables, search_outbox

_VERSION_COLUMNS = (
    "id",
    "type",
    "spec_version",
    "modified_us",
    "created",
    "modified",
    "revoked",
    "created_by_ref",
    "marking_refs",
    "tlp",
    "source_org",
    "submitted_by",
    "entry_path",
    "date_added_us",
    "content_hash",
    "json",
    "access_class",
    "profiles",
)


def _version_rows(versions: list[Version], added: list[int], provenance: Provenance, classes: list[int]) -> list[tuple[Any, ...]]:
    return [
        (
            version.obj["id"],
            version.obj["type"],
            version.spec_version,
            version.modified_us,
            version.obj.get("created"),
            version.obj.get("modified"),
            bool(version.obj.get("revoked", False)),
            _text_or_none(version.obj.get("created_by_ref")),  # a custom SCO may hold anything there
            orjson.dumps(version.marking_refs).decode(),
            version.tlp,
            provenance.source_org,
            provenance.submitted_by,
            provenance.entry_path,
            date_added_us,
            version.content_hash,
            version.json,
            access_class,
            " ".join(version.profiles),
        )
        for version, date_added_us, access_class in zip(versions, added, classes, strict=True)
    ]


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# Keeps each IN (...) list well under SQLite's and PostgreSQL's limits on bound parameters.
_CHUNK = 500


@dataclass(frozen=True)
class Provenance:
    source_org: str  # the organisation the object came from; this node's own for local entries
    entry_path: EntryPath
    submitted_by: str | None = None  # the account's identity id


@dataclass(slots=True)
class Version:
    """One object version, ready to store: everything derived from the object once, in ingest."""

    obj: dict[str, Any]
    modified_us: int
    json: str
    content_hash: str
    marking_refs: tuple[str, ...]
    tlp: str | None
    observables: tuple[tuple[str, str], ...]
    references: tuple[tuple[str, str], ...] = ()  # (JSON path, id) of every reference the object makes
    profiles: tuple[str, ...] = ()  # names of the profiles that cover it

    @property
    def id(self) -> str:
        return cast(str, self.obj["id"])

    @property
    def key(self) -> tuple[str, int]:
        return self.obj["id"], self.modified_us

    @property
    def spec_version(self) -> str:
        return spec_version_of(self.obj)


@dataclass(frozen=True)
class StoredVersion:
    obj: dict[str, Any]
    source_org: str
    submitted_by: str | None
    entry_path: str
    date_added_us: int
    access_class: int = 0

    @property
    def date_added(self) -> str:
        return timeline.to_timestamp(self.date_added_us)


@dataclass(frozen=True)
class Written:
    """What became of one version given to `ObjectStore.write`."""

    outcome: Outcome  # STORED, UNCHANGED, CONFLICT (held with other content) or REFUSED (by authority)
    refusal: str | None = None  # why it was refused
    # Whether the submitter may know what the store held already: the version under this key
    # (UNCHANGED, CONFLICT), or any version of this id (REFUSED).
    seen: bool = True


class ObjectStore:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._class_ids: dict[AccessClass, int] = {}  # classes never change once stored

    # -- writing -------------------------------------------------------------

    def write(
        self, versions: list[Version], provenance: Provenance, *, posted_to: str | None = None, reader: Readable | None = None
    ) -> list[Written]:
        """Store the versions in one transaction; per version what became of it (see `Written`).

        Authority over each id is judged inside the transaction, on the store as it is
        then: two partners posting the first versions of one id at once cannot both hold it.
        `reader`, the access classes the submitter may read, says which of the versions held
        already they may know of. The caller makes sure `versions` has no duplicate keys.
        Stored versions join every collection whose filter they match; with `posted_to`,
        the stored and unchanged versions join that collection as well.
        """
        if not versions:
            return []
        classes = [access_class_of(v.obj, provenance.source_org, provenance.submitted_by) for v in versions]
        with self.engine.connect().execution_options(**WRITE) as connection, connection.begin():
            # The timeline's lock, taken first, keeps every other writer out until this commits.
            added = timeline.allocate(connection, timeline.STORE_TIMELINE, len(versions))
            held, holding_orgs = self._held(connection, [v.id for v in versions])
            # What the submitter may know the store holds: a copy of a version it may not
            # read is judged as any other content, so that a right guess answers as a wrong one.
            seen = {key for key, (_, _, access_class) in held.items() if reader is None or reader.includes(access_class)}
            hashes: dict[str, set[str]] = {}
            for key in seen:
                hashes.setdefault(key[0], set()).add(held[key][0])
            holders = {object_id: Holder(org, frozenset(hashes.get(object_id, ()))) for object_id, org in holding_orgs.items()}
            written: list[Written] = []
            for version in versions:
                refusal = version_refusal(provenance.source_org, version.obj, version.content_hash, holders.get(version.id))
                same = held.get(version.key)
                if refusal is not None:
                    written.append(Written(Outcome.REFUSED, refusal=refusal, seen=version.id in hashes))
                elif same is None:
                    written.append(Written(Outcome.STORED))
                    # Later versions of the id in this batch are judged as if this one were stored
                    # (a second definition of a new marking-definition id is refused, and told).
                    holders.setdefault(version.id, Holder(provenance.source_org, frozenset()))
                    hashes.setdefault(version.id, set())
                else:
                    outcome = Outcome.UNCHANGED if same[0] == version.content_hash else Outcome.CONFLICT
                    written.append(Written(outcome, seen=version.key in seen))
            stored = [w.outcome == Outcome.STORED for w in written]
            class_ids, new_class_ids = self._class_id_list(connection, classes)
            rows = _version_rows(versions, added, provenance, class_ids)
            new_rows = [row for row, new in zip(rows, stored, strict=True) if new]
            if new_rows:
                insert_rows(connection, object_versions, _VERSION_COLUMNS, new_rows)
            # Per version: the date_added and access class of the version the store holds.
            holding = [
                (added_us, access_class) if version.key not in held else held[version.key][1:]
                for version, added_us, access_class in zip(versions, added, class_ids, strict=True)
            ]
            observable_rows = [
                (date_added_us, kind, value)
                for version, date_added_us, new in zip(versions, added, stored, strict=True)
                if new
                for kind, value in version.observables
            ]
            # Rows of versions stored just now cannot be there already.
            copy_rows(connection, observables, ("version_added_us", "kind", "value"), list(dict.fromkeys(observable_rows)))
            copy_rows(
                connection,
                search_outbox,
                ("version_added_us",),
                [(date_added_us,) for date_added_us, new in zip(added, stored, strict=True) if new],
            )
            new_entries, reposted = self._entries(connection, versions, written, added, holding, posted_to)
            copy_rows(connection, collection_entries, ENTRY_COLUMNS, new_entries)
            if reposted:
                insert_rows(connection, collection_entries, ENTRY_COLUMNS, reposted)
            if new_entries or reposted:
                refresh_statistics(connection, collection_entries.name)
            self._add_newly_marked_exercise_data(connection, versions, written)
        self._class_ids.update(new_class_ids)  # only once committed: a rolled-back id would not exist
        return written

    def _entries(
        self,
        connection: Connection,
        versions: list[Version],
        written: list[Written],
        added: list[int],
        holding: list[tuple[int, int]],
        posted_to: str | None,
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """Collection entries: (those of versions stored now, those of versions the store held)."""
        filters: dict[str, CollectionFilter] = load_filters(connection)
        exercise: frozenset[str] = frozenset()
        if any(wanted.exercise for wanted in filters.values()):
            stored = (v.obj for v, w in zip(versions, written, strict=True) if w.outcome == Outcome.STORED)
            exercise = exercise_markings(connection, stored)
        new: list[tuple[Any, ...]] = []
        reposted: list[tuple[Any, ...]] = []
        for version, w, date_added_us, (held_added_us, access_class) in zip(versions, written, added, holding, strict=True):
            if w.outcome == Outcome.STORED:
                joined = {
                    collection_id
                    for collection_id, wanted in filters.items()
                    if wanted.matches(version.obj["type"], version.profiles, version.tlp, version.marking_refs, exercise)
                }
                if posted_to is not None:
                    joined.add(posted_to)
                new += [entry_row(collection_id, version, held_added_us, held_added_us, access_class) for collection_id in joined]
            elif w.outcome == Outcome.UNCHANGED and w.seen and posted_to is not None:
                # An unchanged version may be new to the collection: it gets the date_added
                # this batch reserved for it, so that partners paging the collection see it.
                reposted.append(entry_row(posted_to, version, held_added_us, date_added_us, access_class))
        return new, reposted

    @staticmethod
    def _add_newly_marked_exercise_data(connection: Connection, versions: list[Version], written: list[Written]) -> None:
        """Objects may arrive before the exercise marking-definition they carry: when it comes,
        exercise collections take them, with new date_added values so that readers see them."""
        marks = {
            v.id
            for v, w in zip(versions, written, strict=True)
            if w.outcome == Outcome.STORED and v.obj["type"] == "marking-definition" and is_exercise_marking(v.obj)
        }
        if marks:
            for collection_id, wanted in load_filters(connection).items():
                if wanted.exercise:
                    fill(connection, collection_id, wanted, marked_with=marks)

    def _class_id_list(self, connection: Connection, classes: list[AccessClass]) -> tuple[list[int], dict[AccessClass, int]]:
        """The id of each class (stored now if new) and the ids not in the cache before."""
        missing = {access.key: access for access in classes if access not in self._class_ids}
        found: dict[AccessClass, int] = {}
        if missing:
            insert_rows(
                connection,
                access_classes,
                ("key", "object_marking_refs", "source_org", "submitted_by", "created_by_ref", "reference", "granular"),
                [
                    (
                        key,
                        orjson.dumps(list(a.object_marking_refs)).decode(),
                        a.source_org,
                        a.submitted_by,
                        a.created_by_ref,
                        a.reference,
                        a.granular,
                    )
                    for key, a in missing.items()
                ],
            )
            rows = connection.execute(select(access_classes.c.key, access_classes.c.id).where(access_classes.c.key.in_(list(missing))))
            found = {missing[row.key]: row.id for row in rows}
        return [self._class_ids.get(access) or found[access] for access in classes], found

    def _held(self, connection: Connection, ids: list[str]) -> tuple[dict[tuple[str, int], tuple[str, int, int]], dict[str, str]]:
        """Per version the store holds of these ids, (content hash, date_added, access class);
        per id, the organisation that holds it: the source organisation of its first stored version."""
        v = object_versions
        held: dict[tuple[str, int], tuple[str, int, int]] = {}
        first: dict[str, tuple[int, str]] = {}
        unique = sorted(set(ids))
        for start in range(0, len(unique), _CHUNK):
            # No ORDER BY: sorting by date_added lets a planner without statistics (just after a
            # bulk load) walk the whole table in that order for each chunk, rather than the id index.
            rows = connection.execute(
                select(v.c.id, v.c.modified_us, v.c.content_hash, v.c.date_added_us, v.c.access_class, v.c.source_org).where(
                    v.c.id.in_(unique[start : start + _CHUNK])
                )
            )
            for row in rows:
                held[row.id, row.modified_us] = (row.content_hash, row.date_added_us, row.access_class)
                if row.id not in first or row.date_added_us < first[row.id][0]:
                    first[row.id] = (row.date_added_us, row.source_org)
        return held, {object_id: org for object_id, (_, org) in first.items()}

    def latest(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The newest version of each of `ids` that the store holds."""
        return {object_id: version.obj for object_id, version in self.latest_versions(ids).items()}

    def versions(self, object_id: str) -> list[StoredVersion]:
        """Every stored version of the object, oldest (by modified) first."""
        with self.engine.connect() as connection:
            return list(self._select(connection, ids=[object_id], all_versions=True, by_modified=True))

    def latest_versions(self, ids: Iterable[str], readable: Readable | None = None) -> dict[str, StoredVersion]:
        """The newest stored version of each of `ids`, with its provenance; with `readable`,
        the newest of those in the access classes it holds."""
        wanted = sorted(set(ids))
        found = {}
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                # In order of modified, so that the newest readable one is kept.
                for version in self._select(connection, ids=chunk, all_versions=readable is not None, by_modified=True, readable=readable):
                    found[version.obj["id"]] = version
        return found

    def iter_versions(
        self,
        *,
        types: Iterable[str] | None = None,
        all_versions: bool = False,
        batch: int = 2000,
        added_after_us: int | None = None,
        readable: Readable | None = None,
    ) -> Iterator[StoredVersion]:
        """Stored versions in date_added order (newest version of each object only, unless all_versions),
        only those added after `added_after_us` and of `readable` access classes when given."""
        after = added_after_us
        types = sorted(types) if types else None
        while True:
            with self.engine.connect() as connection:
                page = list(self._select(connection, types=types, all_versions=all_versions, after=after, limit=batch, readable=readable))
            yield from page
            if len(page) < batch:
                return
            after = page[-1].date_added_us

    def _select(
        self,
        connection: Connection,
        *,
        ids: list[str] | None = None,
        types: list[str] | None = None,
        all_versions: bool = False,
        after: int | None = None,
        limit: int | None = None,
        by_modified: bool = False,
        readable: Readable | None = None,
    ) -> Iterator[StoredVersion]:
        v = object_versions
        query = select(v.c.json, v.c.source_org, v.c.submitted_by, v.c.entry_path, v.c.date_added_us, v.c.access_class)
        conditions: list[ColumnElement[bool]] = []
        if ids is not None:
            conditions.append(v.c.id.in_(ids))
        if types:
            conditions.append(v.c.type.in_(types))
        if after is not None:
            conditions.append(v.c.date_added_us > after)
        if readable is not None:
            conditions.append(readable_by(v.c.access_class, readable))
        if not all_versions:
            newer = object_versions.alias("newer")
            newest = select(func.max(newer.c.modified_us)).where(newer.c.id == v.c.id).scalar_subquery()
            conditions.append(v.c.modified_us == newest)
        order = (v.c.modified_us, v.c.date_added_us) if by_modified else (v.c.date_added_us,)
        query = query.where(and_(true(), *conditions)).order_by(*order)
        if limit:
            query = query.limit(limit)
        for row in connection.execute(query):
            yield StoredVersion(
                orjson.loads(row.json), row.source_org, row.submitted_by, row.entry_path, row.date_added_us, row.access_class
            )

    def access_classes(self, after_id: int = 0) -> dict[int, AccessClass]:
        """The access classes stored with an id above ``after_id``."""
        c = access_classes
        with self.engine.connect() as connection:
            rows = connection.execute(select(c).where(c.c.id > after_id).order_by(c.c.id))
            return {
                r.id: AccessClass(tuple(r.object_marking_refs), r.source_org, r.submitted_by, r.created_by_ref, r.reference, r.granular)
                for r in rows
            }

    def policy_epoch(self) -> tuple[int | None, int | None]:
        """Changes whenever a sharing decision might: (newest marking-definition, newest access class)."""
        v = object_versions
        newest_marking = select(func.max(v.c.date_added_us)).where(v.c.type == "marking-definition").scalar_subquery()
        newest_class = select(func.max(access_classes.c.id)).scalar_subquery()
        with self.engine.connect() as connection:
            return tuple(connection.execute(select(newest_marking, newest_class)).one())

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
