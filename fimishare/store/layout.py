"""Making TAXII API roots and collections, and what they are: their titles, filters and grants."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select, tuple_, update
from sqlalchemy.engine import Connection

from fimishare.sharing.principals import Grant
from fimishare.store import timeline
from fimishare.store.database import insert_rows, refresh_statistics
from fimishare.store.schema import api_roots, collection_entries, collection_grants, collections, object_versions

if TYPE_CHECKING:
    pass

from fimishare.store.membership import ENTRY_COLUMNS, CollectionError, CollectionFilter, fill

LAYOUT_TIMELINE = "collections"
DEFAULT_MAX_CONTENT_LENGTH = 10 * 1024 * 1024
_CHUNK = 500


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


def mark_changed(connection: Connection) -> None:
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
            write_grant(connection, collection_id, grant)
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
    mark_changed(connection)
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


def write_grant(connection: Connection, collection_id: str, grant: Grant) -> None:
    connection.execute(
        delete(collection_grants).where(collection_grants.c.collection_id == collection_id, collection_grants.c.org_id == grant.org_id)
    )
    if grant.can_read or grant.can_write:
        connection.execute(
            insert(collection_grants).values(
                collection_id=collection_id, org_id=grant.org_id, can_read=grant.can_read, can_write=grant.can_write
            )
        )
