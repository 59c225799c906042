"""TAXII collections as readers see them: the layout as it stands, and a collection's entries.

Who may read each object inside is the sharing gate's business: the reading queries here
take the access classes the reader may read (``readable_by``).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Table, and_, delete, exists, or_, select, true
from sqlalchemy.engine import Connection, Engine

from fimishare.sharing.access import Readable
from fimishare.sharing.principals import Grant
from fimishare.stix import SPEC_VERSIONS
from fimishare.store.database import WRITE
from fimishare.store.schema import api_roots, collection_entries, collection_grants, collections, object_versions, timelines

if TYPE_CHECKING:
    pass

from fimishare.store.layout import (
    DEFAULT_MAX_CONTENT_LENGTH,
    LAYOUT_TIMELINE,
    ApiRoot,
    Collection,
    NewCollection,
    create_layout,
    mark_changed,
    write_grant,
)
from fimishare.store.membership import CollectionError, CollectionFilter

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
            write_grant(connection, collection_id, grant)
            mark_changed(connection)

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
