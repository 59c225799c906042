"""TAXII API roots and collections: saved filters over the store, what each holds, who may use them.

A collection holds every version that matched its filter when the version was stored (or
when the collection was made), plus what was posted into it. Membership is written with the
versions, in the same transaction (see ObjectStore.write), so reading a collection is one
indexed query. Who may read each object inside is the sharing policy's business: the reading
queries here take the access classes the reader may read.
"""

from __future__ import annotations

import builtins
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence, Set
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import ColumnElement, Table, Text, and_, cast, delete, exists, insert, or_, select, true, tuple_, update
from sqlalchemy.engine import Connection, Engine

from fimishare.sharing.access import Readable, is_reference
from fimishare.sharing.markings import is_exercise_marking
from fimishare.sharing.principals import Grant
from fimishare.stix import SPEC_VERSIONS, Tlp
from fimishare.store import timeline
from fimishare.store.database import WRITE, insert_rows, refresh_statistics
from fimishare.store.schema import api_roots, collection_entries, collection_grants, collections, object_versions, timelines

if TYPE_CHECKING:
    from fimishare.store.objects import Version

LAYOUT_TIMELINE = "collections"
DEFAULT_MAX_CONTENT_LENGTH = 10 * 1024 * 1024
_CHUNK = 500


class CollectionError(ValueError):
    """A request about API roots or collections that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class CollectionFilter:
    """Which stored versions a collection takes; an empty list means no restriction."""

    types: tuple[str, ...] = ()
    # An object no profile covers (identities, reports, notes...) is context every profile
    # needs, so it matches any profile filter.
    profiles: tuple[str, ...] = ()
    tlp: tuple[str, ...] = ()  # TLP 2.0 level names; an object without TLP reads as green, as in the policy
    markings: tuple[str, ...] = ()  # marking-definition ids: the object must carry one of them
    # Only exercise data, and the reference objects an exercise needs (identities, marking-
    # and extension-definitions, unrestricted framework techniques).
    exercise: bool = False
    # Nothing by filter: only what is posted into it, as in medallion and most TAXII servers.
    posted_only: bool = False

    def __post_init__(self) -> None:
        unknown = set(self.tlp) - set(Tlp)
        if unknown:
            raise CollectionError(f"unknown TLP level(s) {sorted(unknown)}; expected {', '.join(Tlp)}")

    def matches(
        self, otype: str, profiles: Sequence[str], tlp: str | None, marking_refs: Sequence[str], exercise_markings: Set[str] = frozenset()
    ) -> bool:
        """``exercise_markings``: ids of the marking-definitions that mark exercise data."""
        if self.posted_only:
            return False
        if self.exercise and not (set(marking_refs) & exercise_markings or is_reference(otype, marking_refs)):
            return False
        if self.types and otype not in self.types:
            return False
        if self.profiles and profiles and not set(profiles) & set(self.profiles):
            return False
        if self.tlp and (tlp or "green") not in self.tlp:
            return False
        if self.markings and not set(marking_refs) & set(self.markings):
            return False
        return True

    def as_json(self) -> dict[str, Any]:
        return {name: value if isinstance(value, bool) else list(value) for name, value in vars(self).items() if value}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CollectionFilter:
        values: dict[str, Any] = {name: value if isinstance(value, bool) else tuple(value) for name, value in data.items()}
        return cls(**values)


@dataclass(frozen=True)
class ApiRoot:
    name: str
    title: str
    description: str | None
    max_content_length: int = DEFAULT_MAX_CONTENT_LENGTH
    exercise: bool = False
    is_default: bool = False  # the root discovery names as the default


@dataclass(frozen=True)
class Collection:
    id: str
    api_root: str
    alias: str | None
    title: str
    description: str | None
    filter: CollectionFilter
    writable: bool
    grants: tuple[Grant, ...] = field(default=())


@dataclass(frozen=True)
class NewCollection:
    """A collection to make (see create_layout)."""

    api_root: str
    title: str
    alias: str | None = None
    description: str | None = None
    filter: CollectionFilter = CollectionFilter()
    writable: bool = True
    grants: tuple[Grant, ...] = ()
    id: str | None = None  # a new random id unless given, as when migrating a collection
    # Versions it held on the server it is migrated from, with the date_added that server gave
    # them: (object id, modified_us, date_added_us). They must be in the store already.
    history: tuple[tuple[str, int, int], ...] = ()


# A place in a collection's order: (date_added_us, version_added_us). Several versions may
# share a date_added (migrated ones), never a version_added.
Position = tuple[int, int]
END_OF_INSTANT = 2**62  # as version_added_us: after every version added at that date_added


@dataclass(frozen=True)
class Entry:
    """One version in a collection, as the reading queries return it."""

    date_added_us: int
    version_added_us: int
    object_id: str
    modified_us: int
    spec_version: str
    access_class: int
    json: str
    source_org: str
    submitted_by: str | None
    created: str | None
    modified: str | None


def load_filters(connection: Connection) -> dict[str, CollectionFilter]:
    rows = connection.execute(select(collections.c.id, collections.c.filter))
    return {row.id: CollectionFilter.from_json(row.filter) for row in rows}


def exercise_markings(connection: Connection, also: Iterable[dict[str, Any]] = ()) -> frozenset[str]:
    """Ids of the exercise marking-definitions in the store, and among ``also`` (being stored)."""
    stored = connection.execute(select(object_versions.c.json).where(object_versions.c.type == "marking-definition")).scalars()
    definitions = [orjson.loads(text) for text in stored] + [d for d in also if d.get("type") == "marking-definition"]
    return frozenset(d["id"] for d in definitions if is_exercise_marking(d))


ENTRY_COLUMNS = ("collection_id", "version_added_us", "date_added_us", "object_id", "type", "spec_version", "modified_us", "access_class")


def fill(connection: Connection, collection_id: str, wanted: CollectionFilter, *, marked_with: Set[str] = frozenset()) -> None:
    """Add the stored versions ``wanted`` matches to the collection, in the caller's writing
    transaction (which holds the store's timeline).

    A new collection takes them with their own date_added. With ``marked_with``, only
    versions carrying one of those markings are looked at, and as they join a collection
    its readers may already have paged past, they get new date_added values.
    """
    v = object_versions
    exercise = exercise_markings(connection) if wanted.exercise else frozenset()
    query = select(
        v.c.date_added_us, v.c.id, v.c.type, v.c.spec_version, v.c.modified_us, v.c.access_class, v.c.profiles, v.c.tlp, v.c.marking_refs
    )
    if marked_with:
        query = query.where(or_(*(cast(v.c.marking_refs, Text).contains(f'"{mark}"') for mark in sorted(marked_with))))
    rows = [r for r in connection.execute(query) if wanted.matches(r.type, r.profiles.split(), r.tlp, r.marking_refs, exercise)]
    dates = timeline.allocate(connection, timeline.STORE_TIMELINE, len(rows)) if marked_with else [r.date_added_us for r in rows]
    entries = [
        (collection_id, r.date_added_us, date, r.id, r.type, r.spec_version, r.modified_us, r.access_class)
        for r, date in zip(rows, dates, strict=True)
    ]
    for start in range(0, len(entries), 5000):
        insert_rows(connection, collection_entries, ENTRY_COLUMNS, entries[start : start + 5000])
    refresh_statistics(connection, collection_entries.name)


def entry_row(collection_id: str, version: Version, version_added_us: int, date_added_us: int, access_class: int) -> tuple[Any, ...]:
    """A collection_entries row (ENTRY_COLUMNS) for a Version."""
    return (
        collection_id,
        version_added_us,
        date_added_us,
        version.obj["id"],
        version.obj["type"],
        version.spec_version,
        version.modified_us,
        access_class,
    )


def readable_by(access_class_column: ColumnElement[int], readable: Readable) -> ColumnElement[bool]:
    """SQL condition: the row's access class is one the reader may read."""
    condition = access_class_column <= readable.up_to
    if readable.only is not None:
        condition = and_(condition, access_class_column.in_(sorted(readable.only)))
    return condition


@dataclass(frozen=True)
class VersionSelector:
    """match[version]: any of first, last, all and explicit versions (modified, in microseconds)."""

    first: bool = False
    last: bool = True
    all: bool = False
    at: tuple[int, ...] = ()


class Collections:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._layout: tuple[int | None, list[ApiRoot], list[Collection]] | None = None

    def _current(self) -> tuple[list[ApiRoot], list[Collection]]:
        """Roots and collections (with their grants), read again only after a change:
        every TAXII request needs them, and they change rarely."""
        with self.engine.connect() as connection:
            version = connection.execute(select(timelines.c.last_added_us).where(timelines.c.name == LAYOUT_TIMELINE)).scalar()
            if self._layout is None or self._layout[0] != version:
                rows = connection.execute(select(api_roots).order_by(api_roots.c.created_at_us, api_roots.c.name)).all()
                roots = [ApiRoot(r.name, r.title, r.description, r.max_content_length, r.exercise, r.is_default) for r in rows]
                grants: dict[str, list[Grant]] = {}
                for g in connection.execute(select(collection_grants).order_by(collection_grants.c.org_id)):
                    grants.setdefault(g.collection_id, []).append(Grant(g.org_id, g.can_read, g.can_write))
                rows = connection.execute(
                    select(collections).order_by(collections.c.api_root, collections.c.created_at_us, collections.c.id)
                ).all()
                found = [
                    Collection(
                        r.id,
                        r.api_root,
                        r.alias,
                        r.title,
                        r.description,
                        CollectionFilter.from_json(r.filter),
                        r.writable,
                        tuple(grants.get(r.id, ())),
                    )
                    for r in rows
                ]
                self._layout = (version, roots, found)
        return self._layout[1], self._layout[2]

    # -- making roots and collections -----------------------------------------

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A writing transaction, for creating a layout together with other rows."""
        with self.engine.connect().execution_options(**WRITE) as connection, connection.begin():
            yield connection

    def add_root(
        self,
        name: str,
        *,
        title: str,
        description: str | None = None,
        max_content_length: int = DEFAULT_MAX_CONTENT_LENGTH,
        exercise: bool = False,
    ) -> ApiRoot:
        root = ApiRoot(name, title, description, max_content_length, exercise)
        with self.writing() as connection:
            create_layout(connection, [root], [])
        return root

    def add(
        self,
        api_root: str,
        *,
        title: str,
        alias: str | None = None,
        description: str | None = None,
        filter: CollectionFilter = CollectionFilter(),
        writable: bool = True,
        grants: Iterable[Grant] = (),
    ) -> Collection:
        """Make a collection and fill it with every stored version its filter matches."""
        wanted = NewCollection(api_root, title, alias, description, filter, writable, tuple(grants))
        with self.writing() as connection:
            return create_layout(connection, [], [wanted])[0]

    def roots(self) -> list[ApiRoot]:
        return self._current()[0]

    def default_root(self) -> ApiRoot | None:
        roots = self.roots()
        return next((root for root in roots if root.is_default), roots[0] if roots else None)

    def grant(self, collection_id: str, grant: Grant) -> None:
        with self.engine.begin() as connection:
            if not connection.execute(select(collections.c.id).where(collections.c.id == collection_id)).first():
                raise CollectionError(f"no collection {collection_id!r} (see 'fimishare collections list')")
            _grant(connection, collection_id, grant)
            _changed(connection)

    def list(self, api_root: str | None = None) -> list[Collection]:
        return [c for c in self._current()[1] if api_root is None or c.api_root == api_root]

    def find(self, id_or_alias: str) -> Collection:
        """A collection by id, alias, or root/alias."""
        root, _, alias = id_or_alias.rpartition("/")
        found = [c for c in self.list() if c.id == id_or_alias or (c.alias == alias and root in ("", c.api_root))]
        if len(found) != 1:
            problem = "no collection" if not found else "several collections (name the root: ROOT/ALIAS)"
            raise CollectionError(f"{problem} matching {id_or_alias!r} (see 'fimishare collections list')")
        return found[0]

    # -- reading -------------------------------------------------------------

    def entries(
        self,
        collection_id: str,
        readable: Readable,
        *,
        after: Position | None = None,
        ids: Sequence[str] = (),
        types: Sequence[str] = (),
        spec_versions: Sequence[str] = (),
        versions: VersionSelector = VersionSelector(),
        limit: int | None = None,
    ) -> builtins.list[Entry]:
        """The collection's versions that match, in date_added order, from after ``after``.

        Versions of access classes the reader may not read are not there at all, also not
        when finding the first or last version of an object. Without ``spec_versions``, only
        the versions of each object's newest STIX version count (TAXII 2.1 section 3.5).
        """
        e, v = collection_entries, object_versions
        conditions = [e.c.collection_id == collection_id, readable_by(e.c.access_class, readable)]
        if spec_versions:
            conditions.append(e.c.spec_version.in_(list(spec_versions)))
        if after is not None:
            date_added_us, version_added_us = after
            # The first term alone is what the index ranges over.
            conditions.append(
                and_(e.c.date_added_us >= date_added_us, or_(e.c.date_added_us > date_added_us, e.c.version_added_us > version_added_us))
            )
        if ids:
            conditions.append(e.c.object_id.in_(list(ids)))
        if types:
            conditions.append(e.c.type.in_(list(types)))
        conditions.append(self._version_condition(e, readable, spec_versions, versions))
        query = (
            select(
                e.c.date_added_us,
                e.c.version_added_us,
                e.c.object_id,
                e.c.modified_us,
                e.c.spec_version,
                e.c.access_class,
                v.c.json,
                v.c.source_org,
                v.c.submitted_by,
                v.c.created,
                v.c.modified,
            )
            .join(v, v.c.date_added_us == e.c.version_added_us)
            .where(and_(*conditions))
            .order_by(e.c.date_added_us, e.c.version_added_us)
        )
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as connection:
            return [Entry(*row) for row in connection.execute(query)]

    @staticmethod
    def _version_condition(e: Table, readable: Readable, spec_versions: Sequence[str], versions: VersionSelector) -> ColumnElement[bool]:
        """match[version] over the versions the reader sees, of the STIX versions asked for,
        or else of each object's newest STIX version."""
        other = collection_entries.alias("other")
        same = [other.c.collection_id == e.c.collection_id, other.c.object_id == e.c.object_id, readable_by(other.c.access_class, readable)]
        if spec_versions:
            same.append(other.c.spec_version.in_(list(spec_versions)))
            of_newest_spec: ColumnElement[bool] = true()
        else:
            same.append(other.c.spec_version == e.c.spec_version)
            # Nothing is newer than the newest STIX version: the query looks further only for older ones.
            newer_spec = [*same[:-1], other.c.spec_version > e.c.spec_version]
            of_newest_spec = or_(e.c.spec_version == SPEC_VERSIONS[-1], ~exists().where(*newer_spec))
        choices = []
        if versions.last:
            choices.append(~exists().where(*same, other.c.modified_us > e.c.modified_us))
        if versions.first:
            choices.append(~exists().where(*same, other.c.modified_us < e.c.modified_us))
        if versions.at:
            # An object without timestamps (a cyber observable) has its date_added for a version.
            choices.append(
                or_(e.c.modified_us.in_(list(versions.at)), and_(e.c.modified_us == 0, e.c.date_added_us.in_(list(versions.at))))
            )
        if versions.all:
            choices = [true()]
        return and_(or_(*choices), of_newest_spec)

    def remove(self, collection_id: str, keys: Iterable[tuple[str, int]]) -> int:
        """Take versions (object id, modified_us) out of the collection; the store keeps them."""
        removed = 0
        keys = list(keys)
        with self.writing() as connection:
            for object_id, modified_us in keys:
                removed += connection.execute(
                    delete(collection_entries).where(
                        collection_entries.c.collection_id == collection_id,
                        collection_entries.c.object_id == object_id,
                        collection_entries.c.modified_us == modified_us,
                    )
                ).rowcount
        return removed


def _changed(connection: Connection) -> None:
    """Every change to roots, collections or grants moves this clock: readers then reload."""
    timeline.allocate(connection, LAYOUT_TIMELINE, 1)


def create_layout(connection: Connection, roots: Sequence[ApiRoot], new: Sequence[NewCollection]) -> list[Collection]:
    """Make API roots and collections in the caller's writing transaction: all of them, or,
    on a CollectionError, none. Each collection takes the stored versions its filter
    matches, and the versions of its history with their own date_added."""
    # No version is stored meanwhile: each is either seen here or sees the new collections.
    timeline.lock(connection, timeline.STORE_TIMELINE)
    # One microsecond apart, so that they are listed in the order given.
    now = time.time_ns() // 1000
    for position, root in enumerate(roots):
        _check_root(connection, root)
        if root.is_default:
            connection.execute(update(api_roots).values(is_default=False))
        connection.execute(
            insert(api_roots).values(
                name=root.name,
                title=root.title,
                description=root.description,
                max_content_length=root.max_content_length,
                exercise=root.exercise,
                is_default=root.is_default,
                created_at_us=now + position,
            )
        )
    made = []
    for position, wanted in enumerate(new):
        collection_id = wanted.id or str(uuid.uuid4())
        _check_collection(connection, wanted, collection_id)
        connection.execute(
            insert(collections).values(
                id=collection_id,
                api_root=wanted.api_root,
                alias=wanted.alias,
                title=wanted.title.strip(),
                description=wanted.description,
                filter=wanted.filter.as_json(),
                writable=wanted.writable,
                created_at_us=now + position,
            )
        )
        for grant in wanted.grants:
            _grant(connection, collection_id, grant)
        if not wanted.filter.posted_only:
            fill(connection, collection_id, wanted.filter)
        if wanted.history:
            _place_history(connection, collection_id, wanted.history)
        made.append(
            Collection(
                collection_id,
                wanted.api_root,
                wanted.alias,
                wanted.title.strip(),
                wanted.description,
                wanted.filter,
                wanted.writable,
                wanted.grants,
            )
        )
    _changed(connection)
    return made


def root_name_problem(name: str) -> str | None:
    if not name or not all(c.isascii() and (c.isalnum() or c in "-_") for c in name) or name == "taxii2":
        return f"API root name {name!r}: use letters, digits, '-' and '_' (and not 'taxii2')"
    return None


def _check_root(connection: Connection, root: ApiRoot) -> None:
    problem = root_name_problem(root.name)
    if problem:
        raise CollectionError(problem)
    if not root.title.strip():
        raise CollectionError(f"API root {root.name!r} needs a title")
    if root.max_content_length <= 0:
        raise CollectionError(f"API root {root.name!r}: max_content_length must be positive")
    if connection.execute(select(api_roots.c.name).where(api_roots.c.name == root.name)).first():
        raise CollectionError(f"API root {root.name!r} already exists")


def _check_collection(connection: Connection, wanted: NewCollection, collection_id: str) -> None:
    if not wanted.title.strip():
        raise CollectionError("a collection needs a title")
    if not connection.execute(select(api_roots.c.name).where(api_roots.c.name == wanted.api_root)).first():
        raise CollectionError(f"no API root {wanted.api_root!r} (see 'fimishare roots list')")
    if connection.execute(select(collections.c.api_root).where(collections.c.id == collection_id)).first():
        raise CollectionError(f"a collection with id {collection_id!r} already exists")
    if (
        wanted.alias
        and connection.execute(
            select(collections.c.id).where(collections.c.api_root == wanted.api_root, collections.c.alias == wanted.alias)
        ).first()
    ):
        raise CollectionError(f"API root {wanted.api_root!r} already has a collection with alias {wanted.alias!r}")


def _place_history(connection: Connection, collection_id: str, history: Sequence[tuple[str, int, int]]) -> None:
    """Entries for stored versions with the date_added another server gave them. The store's
    timeline moves past the latest, so what is added afterwards comes after them in every page."""
    v = object_versions
    wanted = {(object_id, modified_us): date_added_us for object_id, modified_us, date_added_us in history}
    keys = list(wanted)
    held = {}
    for start in range(0, len(keys), _CHUNK):
        rows = connection.execute(
            select(v.c.id, v.c.modified_us, v.c.date_added_us, v.c.type, v.c.spec_version, v.c.access_class).where(
                tuple_(v.c.id, v.c.modified_us).in_(keys[start : start + _CHUNK])
            )
        )
        held.update({(r.id, r.modified_us): r for r in rows})
    missing = [key for key in keys if key not in held]
    if missing:
        object_id, modified_us = missing[0]
        raise CollectionError(
            f"{len(missing)} versions of the history are not stored, e.g. {object_id} at {timeline.to_timestamp(modified_us)}"
        )
    entries = [
        (collection_id, r.date_added_us, wanted[key], r.id, r.type, r.spec_version, r.modified_us, r.access_class)
        for key, r in held.items()
    ]
    # A version the filter already placed keeps its place.
    insert_rows(connection, collection_entries, ENTRY_COLUMNS, entries)
    refresh_statistics(connection, collection_entries.name)
    timeline.advance(connection, timeline.STORE_TIMELINE, max(wanted.values()))


def _grant(connection: Connection, collection_id: str, grant: Grant) -> None:
    connection.execute(
        delete(collection_grants).where(collection_grants.c.collection_id == collection_id, collection_grants.c.org_id == grant.org_id)
    )
    if grant.can_read or grant.can_write:
        connection.execute(
            insert(collection_grants).values(
                collection_id=collection_id, org_id=grant.org_id, can_read=grant.can_read, can_write=grant.can_write
            )
        )
