"""Which stored versions a TAXII collection holds: its filter, and the entries written for it.

A collection holds every version that matched its filter when the version was stored (or
when the collection was made), plus what was posted into it. Membership is written with the
versions, in the same transaction (see ObjectStore.write), so reading a collection is one
indexed query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Text, cast, or_, select
from sqlalchemy.engine import Connection

from fimishare.sharing.access import is_reference
from fimishare.sharing.markings import is_exercise_marking
from fimishare.stix import Tlp
from fimishare.store import timeline
from fimishare.store.database import insert_rows, refresh_statistics
from fimishare.store.schema import collection_entries, collections, object_versions

if TYPE_CHECKING:
    from fimishare.store.objects import Version


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
