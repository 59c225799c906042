"""Migrating a medallion server: its memory backend's data file, read and brought into the store.

The file (the layout of medallion's default_data.json) holds "/discovery" and, per API root,
its "information", "status" resources and "collections", each collection with its "objects"
and a "manifest" giving every object version the date_added it got there. The whole file is
checked before anything is written: a file that cannot be migrated changes nothing. Objects
then go through the ingest pipeline, like any import; the API roots, collections (with the
date_added values partners' bookmarks depend on), their rights and the status resources are
written in one transaction.

medallion's memory backend gives every user the same rights on a collection, so the file's
can_read and can_write become the rights of one partner account, the one medallion's users
become here.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from fimishare.ingest.pipeline import IngestPipeline, IngestReport
from fimishare.ingest.reference import add_organisation
from fimishare.sharing.principals import Grant
from fimishare.stix import EntryPath, Outcome, Role
from fimishare.store import Store
from fimishare.store.accounts import Account, AccountError
from fimishare.store.layout import DEFAULT_MAX_CONTENT_LENGTH, ApiRoot, NewCollection, create_layout, root_name_problem
from fimishare.store.membership import CollectionFilter
from fimishare.store.objects import Provenance
from fimishare.store.timeline import from_timestamp, to_timestamp
from fimishare.taxii_server import status

DEFAULT_ACCOUNT = "medallion"
DEFAULT_ORGANISATION = "medallion users"
DISCOVERY = "/discovery"


class MedallionDataError(ValueError):
    """The file cannot be migrated; the message names each place in it that is wrong. Nothing was written."""


@dataclass(frozen=True)
class ManifestEntry:
    object_id: str
    version_us: int
    date_added_us: int


@dataclass(frozen=True)
class MedallionCollection:
    id: str
    title: str
    description: str | None
    alias: str | None
    can_read: bool
    can_write: bool
    objects: list[Any]
    manifest: list[ManifestEntry]


@dataclass(frozen=True)
class MedallionRoot:
    name: str
    title: str
    description: str | None
    max_content_length: int
    statuses: list[dict[str, Any]]
    collections: list[MedallionCollection]


@dataclass(frozen=True)
class MedallionData:
    roots: list[MedallionRoot]
    default_root: str | None  # the API root discovery names as the default
    title: str | None  # the server's, from discovery


@dataclass
class MigrationReport:
    ingest: IngestReport
    account: Account
    api_key: str | None  # when the account was made by this migration (shown once)
    roots: list[str] = field(default_factory=list)
    collections: int = 0
    entries: int = 0
    statuses: int = 0
    notes: list[str] = field(default_factory=list)  # what was migrated otherwise than it stood in the file


# -- reading the file ------------------------------------------------------------


def read_data(path: Path) -> MedallionData:
    try:
        document = orjson.loads(Path(path).read_bytes())
    except OSError as error:
        raise MedallionDataError(f"{path}: {error.strerror}") from None
    except orjson.JSONDecodeError as error:
        raise MedallionDataError(f"{path}: malformed JSON: {error}") from None
    return parse_data(document, str(path))


def parse_data(document: object, source: str) -> MedallionData:
    reader = _Reader()
    data = reader.data(document)
    if reader.problems:
        shown = "\n  ".join(reader.problems[:50])
        more = f"\n  ... and {len(reader.problems) - 50} more" if len(reader.problems) > 50 else ""
        raise MedallionDataError(f"{source} is not a medallion data file that can be migrated:\n  {shown}{more}")
    return data


class _Reader:
    """Reads the layout, noting every problem with its place in the file."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def data(self, document: object) -> MedallionData:
        if not isinstance(document, dict):
            self.problem("$", "expected a JSON object of API roots and '/discovery'")
            return MedallionData([], None, None)
        discovery = document.get(DISCOVERY) or {}
        if not isinstance(discovery, dict):
            self.problem(f"$['{DISCOVERY}']", "expected a JSON object")
            discovery = {}
        found = [self.root(name, value) for name, value in document.items() if name != DISCOVERY]
        roots = [root for root in found if root is not None]
        self.unique([c.id for root in roots for c in root.collections], "collection id")
        self.unique([s["id"] for root in roots for s in root.statuses], "status id")
        default = discovery.get("default")
        default_root = urlsplit(default).path.strip("/").rpartition("/")[2] if isinstance(default, str) else None
        title = discovery.get("title") if isinstance(discovery.get("title"), str) else None
        return MedallionData(roots, default_root if default_root in {r.name for r in roots} else None, title)

    def unique(self, values: list[str], what: str) -> None:
        seen = set()
        for value in values:
            if value in seen:
                self.problem("$", f"{what} {value!r} is used twice")
            seen.add(value)

    def root(self, name: str, value: object) -> MedallionRoot | None:
        path = f"$['{name}']"
        if not isinstance(value, dict):
            self.problem(path, "an API root must be a JSON object with 'information'")
            return None
        if problem := root_name_problem(name):
            self.problem(path, problem)
        information = value.get("information")
        if not isinstance(information, dict):
            self.problem(f"{path}.information", "missing: an API root needs its information (title, max_content_length)")
            information = {}
        max_length = information.get("max_content_length", DEFAULT_MAX_CONTENT_LENGTH)
        if not isinstance(max_length, int) or isinstance(max_length, bool) or max_length <= 0:
            self.problem(f"{path}.information.max_content_length", f"{max_length!r} is not a positive integer")
            max_length = DEFAULT_MAX_CONTENT_LENGTH
        statuses = self.items(value, "status", path)
        for i, resource in enumerate(statuses):
            if not isinstance(resource, dict) or not isinstance(resource.get("id"), str) or not resource["id"]:
                self.problem(f"{path}.status[{i}]", "a status resource needs a string 'id'")
        collections = [self.collection(item, f"{path}.collections[{i}]") for i, item in enumerate(self.items(value, "collections", path))]
        return MedallionRoot(
            name,
            self.text(information, "title", f"{path}.information") or name,
            self.text(information, "description", f"{path}.information", required=False),
            max_length,
            [s for s in statuses if isinstance(s, dict) and isinstance(s.get("id"), str) and s["id"]],
            [c for c in collections if c is not None],
        )

    def items(self, value: dict[str, Any], name: str, path: str) -> list[Any]:
        items = value.get(name, [])
        if not isinstance(items, list):
            self.problem(f"{path}.{name}", f"expected a list, not {type(items).__name__}")
            return []
        return items

    def collection(self, value: object, path: str) -> MedallionCollection | None:
        if not isinstance(value, dict):
            self.problem(path, "a collection must be a JSON object")
            return None
        rights = []
        for name in ("can_read", "can_write"):
            if not isinstance(value.get(name), bool):
                self.problem(f"{path}.{name}", f"expected true or false, not {value.get(name)!r}")
            rights.append(value.get(name) is True)
        objects = self.items(value, "objects", path)
        manifest = [self.manifest_entry(item, f"{path}.manifest[{i}]") for i, item in enumerate(self.items(value, "manifest", path))]
        collection_id = self.text(value, "id", path)
        if not collection_id:
            return None
        return MedallionCollection(
            collection_id,
            self.text(value, "title", path) or collection_id,
            self.text(value, "description", path, required=False),
            self.text(value, "alias", path, required=False),
            rights[0],
            rights[1],
            objects,
            [entry for entry in manifest if entry is not None],
        )

    def manifest_entry(self, value: object, path: str) -> ManifestEntry | None:
        if not isinstance(value, dict):
            self.problem(path, "a manifest entry must be a JSON object with id, version and date_added")
            return None
        object_id = self.text(value, "id", path)
        version = self.timestamp(value, "version", path)
        date_added = self.timestamp(value, "date_added", path)
        if object_id is None or version is None or date_added is None:
            return None
        return ManifestEntry(object_id, version, date_added)

    def text(self, value: dict[str, Any], name: str, path: str, *, required: bool = True) -> str | None:
        found = value.get(name)
        if found is None and not required:
            return None
        if not isinstance(found, str) or not found.strip():
            self.problem(f"{path}.{name}", "missing" if found is None else f"expected a non-empty string, not {found!r}")
            return None
        return found

    def timestamp(self, value: dict[str, Any], name: str, path: str) -> int | None:
        found: Any = value.get(name)  # what is not a timestamp string raises below
        try:
            return from_timestamp(found)
        except (TypeError, ValueError, AttributeError):
            self.problem(f"{path}.{name}", f"{found!r} is not a timestamp such as 2017-01-27T13:49:53.935Z")
            return None


# -- migrating -------------------------------------------------------------------


def migrate(store: Store, pipeline: IngestPipeline, data: MedallionData, *, source: str, account: str = DEFAULT_ACCOUNT) -> MigrationReport:
    """Bring the file's API roots, collections, objects and status resources into the store."""
    _refuse_what_exists(store, data)
    node_org = store.node_organisation_id()
    objects = list(
        {
            orjson.dumps(obj, option=orjson.OPT_SORT_KEYS): obj
            for root in data.roots
            for collection in root.collections
            for obj in collection.objects
        }.values()
    )
    ingest = pipeline.ingest_objects(objects, Provenance(node_org, EntryPath.IMPORT), source=source)
    accepted = {
        (outcome.id, from_timestamp(outcome.version) if outcome.version else 0)
        for outcome in ingest.outcomes
        if outcome.status != Outcome.REJECTED
    }
    user, key = _partner_account(store, pipeline, account)
    report = MigrationReport(ingest, user, key, roots=[root.name for root in data.roots])
    if user.org_id == node_org:
        report.notes.append(
            f"account {user.name} is of this node's own organisation, which reads and writes every "
            "collection: the file's can_read and can_write were given to no one"
        )
    migrated_at = time.time_ns() // 1000
    new_collections = []
    for root in data.roots:
        for collection in root.collections:
            history = _history(root, collection, accepted, migrated_at, report.notes)
            grants = (Grant(user.org_id, collection.can_read, collection.can_write),) if user.org_id != node_org else ()
            new_collections.append(
                NewCollection(
                    root.name,
                    collection.title,
                    collection.alias,
                    collection.description,
                    CollectionFilter(posted_only=True),
                    writable=collection.can_write,
                    grants=grants,
                    id=collection.id,
                    history=tuple(history),
                )
            )
            report.entries += len(history)
    roots = [
        ApiRoot(root.name, root.title, root.description, root.max_content_length, is_default=root.name == data.default_root)
        for root in data.roots
    ]
    with store.collections.writing() as connection:
        create_layout(connection, roots, new_collections)
        for root in data.roots:
            for resource in root.statuses:
                status.insert_status(connection, root.name, user.org_id, _complete_status(resource, report.notes), migrated_at)
                report.statuses += 1
    report.collections = len(new_collections)
    return report


def _refuse_what_exists(store: Store, data: MedallionData) -> None:
    problems = []
    existing_roots = {root.name for root in store.collections.roots()}
    existing_collections = {collection.id for collection in store.collections.list()}
    with store.engine.connect() as connection:
        for root in data.roots:
            if root.name in existing_roots:
                problems.append(f"API root {root.name!r} exists already (was this file migrated before?)")
            problems += [f"collection {c.id!r} exists already" for c in root.collections if c.id in existing_collections]
            problems += [f"status {s['id']!r} exists already" for s in root.statuses if status.exists(connection, s["id"])]
    if problems:
        raise MedallionDataError("nothing was migrated:\n  " + "\n  ".join(problems))


def _partner_account(store: Store, pipeline: IngestPipeline, name: str) -> tuple[Account, str | None]:
    """The account medallion's users become: the one named, or a new machine account of a new
    partner organisation, whose API key is returned this once."""
    directory = store.directory
    try:
        return directory.account(name), None
    except AccountError:
        pass
    try:
        org = directory.organisation(DEFAULT_ORGANISATION)
    except AccountError:
        org, _ = add_organisation(directory, pipeline, DEFAULT_ORGANISATION)
    # Machine accounts sign in with API keys; the password is a secret no one sees.
    account = directory.add_account(name, org=org.id, role=Role.SYNC, password=secrets.token_urlsafe(32))
    return account, directory.issue_api_key(name)


def _version_us(obj: object) -> int | None:
    """The store's version key of an object: its modified (or created) time, 0 when it has
    neither (a cyber observable); None when unreadable (the pipeline rejects it)."""
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        return None
    stamp = obj.get("modified") or obj.get("created")
    try:
        return from_timestamp(stamp) if stamp else 0
    except (TypeError, ValueError, AttributeError):
        return None


def _history(
    root: MedallionRoot, collection: MedallionCollection, accepted: set[tuple[str | None, int]], migrated_at: int, notes: list[str]
) -> list[tuple[str, int, int]]:
    """(object id, version, date_added) for each accepted version the collection holds."""
    held = {(obj["id"], version) for obj in collection.objects if (version := _version_us(obj)) is not None}
    stampless = {object_id for object_id, version in held if version == 0}
    where = f"{root.name}/collections/{collection.id}"
    dated: dict[tuple[str, int], int] = {}
    for entry in collection.manifest:
        key = (entry.object_id, entry.version_us)
        if key not in held and entry.object_id in stampless:
            # medallion versions an object without timestamps by its date_added.
            key = (entry.object_id, 0)
        if key not in held:
            notes.append(
                f"{where}: the manifest lists {entry.object_id} version {_stamp(entry.version_us)}, "
                "which the collection's objects do not hold: left out"
            )
        elif key in accepted:
            dated[key] = entry.date_added_us
    for key in sorted(held & accepted - dated.keys()):
        notes.append(f"{where}: {key[0]} version {_stamp(key[1])} has no manifest entry: its date_added is the time of migration")
        dated[key] = migrated_at
    return [(object_id, version, date_added) for (object_id, version), date_added in dated.items()]


def _stamp(version_us: int) -> str:
    return to_timestamp(version_us) if version_us else "(none)"


def _complete_status(resource: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    """A status resource as TAXII 2.1 section 4.3.1 has it: total_count is required."""
    if isinstance(resource.get("total_count"), int):
        return resource
    counts = [resource.get(name) for name in ("success_count", "failure_count", "pending_count")]
    total = sum(count for count in counts if isinstance(count, int) and not isinstance(count, bool))
    notes.append(f"status {resource['id']}: no total_count; given {total}, the sum of its success, failure and pending counts")
    return {**resource, "total_count": total}
