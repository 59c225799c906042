"""medallion's backend interface over the store of record.

medallion's views check the request (media types, size, limit, collection rights) and shape
the answers; this class answers them from SQL. Who asks comes from the request's account
(see fimishare.platform.taxii): every object, manifest entry, version and `more` flag is
limited to the access classes the caller may read, inside the query, so what the caller may
not read is nowhere in an answer, not even in its counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import orjson
from flask import g, request, url_for
from medallion import auth as medallion_auth
from medallion.backends.base import Backend
from medallion.common import create_resource, generate_status, generate_status_details
from medallion.exceptions import ProcessingError

from fimishare.ingest.pipeline import IngestPipeline
from fimishare.sharing import Gate
from fimishare.sharing.principals import Holding, Principal
from fimishare.stix import SPEC_VERSIONS, EntryPath, Outcome, Severity
from fimishare.store import Store
from fimishare.store.accounts import Account, AccountError
from fimishare.store.collections import Entry, VersionSelector
from fimishare.store.layout import ApiRoot, Collection
from fimishare.store.objects import Provenance
from fimishare.store.timeline import to_timestamp
from fimishare.taxii_server import status
from fimishare.taxii_server.filters import TaxiiFilter, next_token, parse_filter

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPES = [f"application/stix+json;version={version}" for version in reversed(SPEC_VERSIONS)]
EVERY_VERSION = VersionSelector(last=False, all=True)


class StoreBackend(Backend):  # type: ignore[misc]  # medallion ships no type information: its Backend is Any
    """The backend of fimishare's TAXII server over the store of record; every access
    decision is the gate's. (medallion's own server loads it as
    fimishare.platform.medallion.MedallionBackend.)

    ``medallion_account`` is the fimishare account that medallion's users act as unless an
    account has their name: only under medallion's own server, which authenticates them.
    """

    def __init__(self, store: Store, gate: Gate, pipeline: IngestPipeline, *, medallion_account: str | None = None):
        self.store = store
        self.gate = gate
        self.pipeline = pipeline
        self.medallion_account = medallion_account

    # -- who asks, cached for the request -------------------------------------

    def _account(self) -> Account:
        if "taxii_account" not in g:
            # Only under medallion's own server, which has authenticated the user itself.
            g.taxii_account = self._account_for(medallion_auth.current_user())
        return cast(Account, g.taxii_account)

    def _account_for(self, medallion_user: str) -> Account:
        for name in (medallion_user, self.medallion_account):
            try:
                if name is not None:
                    return self.store.directory.account(name)
            except AccountError:
                continue
        raise ProcessingError(f"no fimishare account {medallion_user!r} or {self.medallion_account!r} to act as", 403)

    def _principal(self, api_root: str) -> Principal:
        account = self._account()
        root = self._root(api_root)
        return account.principal(exercise=bool(root and root.exercise))

    def _root(self, name: str) -> ApiRoot | None:
        roots: dict[str, ApiRoot] | None = g.get("taxii_roots")
        if roots is None:
            roots = g.taxii_roots = {root.name: root for root in self.store.collections.roots()}
        return roots.get(name)

    def _usable(self, api_root: str) -> dict[str, tuple[Collection, bool, bool]]:
        """The root's collections the caller may read or write, by id, with (can_read, can_write)."""
        cache: dict[str, dict[str, tuple[Collection, bool, bool]]] = g.setdefault("taxii_collections", {})
        if api_root not in cache:
            principal = self._principal(api_root)
            rights = ((c, *self.gate.collection_rights(principal, c.grants, c.writable)) for c in self.store.collections.list(api_root))
            cache[api_root] = {c.id: (c, can_read, can_write) for c, can_read, can_write in rights if can_read or can_write}
        return cache[api_root]

    # -- server, API roots, collections ---------------------------------------

    def server_discovery(self) -> dict[str, Any]:
        org = self.store.directory.node_organisation()
        default = self.store.collections.default_root()
        return {
            "title": f"{org.name} fimishare",
            "description": "FIMI, hybrid and cyber threat information shared between EU and Japanese partners (STIX 2.1).",
            "api_roots": [self._root_url(root.name) for root in self.store.collections.roots()],
            **({"default": self._root_url(default.name)} if default else {}),
        }

    @staticmethod
    def _root_url(name: str) -> str:
        # fimishare serves roots under /taxii2/, medallion's own server at the top.
        return url_for(f"{request.blueprint}.get_api_root_information", api_root=name, _external=True)

    def get_api_root_information(self, api_root: str) -> dict[str, Any] | None:
        root = self._root(api_root)
        if root is None:
            return None
        return {
            "title": root.title,
            **({"description": root.description} if root.description else {}),
            "versions": [TAXII_MEDIA_TYPE],
            "max_content_length": root.max_content_length,
        }

    def get_collections(self, api_root: str) -> dict[str, Any]:
        found = [self._collection_resource(*entry) for entry in self._usable(api_root).values()]
        return {"collections": found} if found else {}

    def get_collection(self, api_root: str, collection_id: str) -> dict[str, Any] | None:
        entry = self._usable(api_root).get(collection_id)
        return self._collection_resource(*entry) if entry else None

    @staticmethod
    def _collection_resource(collection: Collection, can_read: bool, can_write: bool) -> dict[str, Any]:
        return {
            "id": collection.id,
            "title": collection.title,
            **({"description": collection.description} if collection.description else {}),
            **({"alias": collection.alias} if collection.alias else {}),
            "can_read": can_read,
            "can_write": can_write,
            "media_types": STIX_MEDIA_TYPES,
        }

    # -- reading ----------------------------------------------------------------

    def get_objects(
        self, api_root: str, collection_id: str, filter_args: dict[str, str], allowed_filters: tuple[str, ...], limit: int
    ) -> tuple[dict[str, Any], dict[str, str]]:
        query = parse_filter(filter_args, allowed_filters)
        page, more = self._page(api_root, collection_id, query, limit)
        return self._envelope("objects", [item for _, item in page], page, more)

    def get_object(
        self, api_root: str, collection_id: str, object_id: str, filter_args: dict[str, str], allowed_filters: tuple[str, ...], limit: int
    ) -> tuple[dict[str, Any], dict[str, str]]:
        query = parse_filter({**filter_args, "match[id]": object_id}, (*allowed_filters, "id"))
        page, more = self._page(api_root, collection_id, query, limit)
        if not page:
            self._require_object(api_root, collection_id, object_id)
        return self._envelope("objects", [item for _, item in page], page, more)

    def get_object_manifest(
        self, api_root: str, collection_id: str, filter_args: dict[str, str], allowed_filters: tuple[str, ...], limit: int
    ) -> tuple[dict[str, Any], dict[str, str]]:
        query = parse_filter(filter_args, allowed_filters)
        page, more = self._page(api_root, collection_id, query, limit)
        records = [
            {
                "id": entry.object_id,
                "date_added": to_timestamp(entry.date_added_us),
                "version": _version(entry),
                "media_type": f"application/stix+json;version={entry.spec_version}",
            }
            for entry, _ in page
        ]
        return self._envelope("objects", records, page, more)

    def get_object_versions(
        self, api_root: str, collection_id: str, object_id: str, filter_args: dict[str, str], allowed_filters: tuple[str, ...], limit: int
    ) -> tuple[dict[str, Any], dict[str, str]]:
        query = parse_filter({**filter_args, "match[id]": object_id}, (*allowed_filters, "id"), default_versions=EVERY_VERSION)
        page, more = self._page(api_root, collection_id, query, limit)
        if not page:
            self._require_object(api_root, collection_id, object_id)
        return self._envelope("versions", [_version(entry) for entry, _ in page], page, more)

    def _envelope(self, name: str, items: list[Any], page: list[tuple[Entry, object]], more: bool) -> tuple[dict[str, Any], dict[str, str]]:
        last = page[-1][0] if page else None
        # More follow only after a full page (limit >= 1): last is then set.
        token = next_token((last.date_added_us, last.version_added_us)) if more and last is not None else None
        resource = create_resource(name, items, more, token)
        headers = {}
        if page:  # in date_added order
            headers["X-TAXII-Date-Added-First"] = to_timestamp(page[0][0].date_added_us)
            headers["X-TAXII-Date-Added-Last"] = to_timestamp(page[-1][0].date_added_us)
        return resource, headers

    def _page(self, api_root: str, collection_id: str, query: TaxiiFilter, limit: int) -> tuple[list[tuple[Entry, object]], bool]:
        """Up to ``limit`` readable (entry, object) pairs and whether more follow.

        Whole classes the caller may not read are filtered in SQL. Objects with granular
        markings are then viewed one by one: redacted, or left out when what remains would
        not be a valid object, in which case the page is topped up from further rows.
        """
        principal = self._principal(api_root)
        readable = self.gate.readable(principal)
        page: list[tuple[Entry, object]] = []
        after = query.after
        while True:
            wanted = limit + 1 - len(page)
            rows = self.store.collections.entries(
                collection_id,
                readable,
                after=after,
                ids=query.ids,
                types=query.types,
                spec_versions=query.spec_versions,
                versions=query.versions,
                limit=wanted,
            )
            marked = {
                i: Holding(orjson.loads(entry.json), entry.source_org, entry.submitted_by)
                for i, entry in enumerate(rows)
                if entry.access_class in readable.granular
            }
            # Most pages hold no granular markings: the gate is asked only when one does.
            copies = {id(holding): copy for copy, holding in self.gate.views(principal, marked.values())} if marked else {}
            for i, entry in enumerate(rows):
                if i not in marked:
                    page.append((entry, orjson.Fragment(entry.json)))
                elif (copy := copies.get(id(marked[i]))) is not None:
                    page.append((entry, copy))
            if len(rows) < wanted or len(page) > limit:
                break
            after = (rows[-1].date_added_us, rows[-1].version_added_us)
        return page[:limit], len(page) > limit

    def _require_object(self, api_root: str, collection_id: str, object_id: str) -> None:
        query = TaxiiFilter(ids=(object_id,), versions=EVERY_VERSION)
        if not self._page(api_root, collection_id, query, 1)[0]:
            raise ProcessingError(f"Object '{object_id}' not found", 404)

    # -- writing ---------------------------------------------------------------

    def add_objects(self, api_root: str, collection_id: str, objs: Any, request_time: datetime) -> dict[str, Any]:
        if not isinstance(objs, dict) or not isinstance(objs.get("objects"), list):
            raise ProcessingError("the body must be a TAXII envelope: a JSON object with an 'objects' list", 422)
        items = objs["objects"]
        if len(items) > self.pipeline.max_objects:
            raise ProcessingError(f"{len(items):,} objects is over this server's limit of {self.pipeline.max_objects:,} per request", 413)
        principal = self._principal(api_root)
        refused = self.gate.refused_by_exercise_root(principal, items)
        report = self.pipeline.ingest_objects(
            [item for i, item in enumerate(items) if i not in refused],
            Provenance(principal.org_id, EntryPath.TAXII, principal.user_id),
            source=f"TAXII {api_root}/{collection_id}",
            reader=principal,
            posted_to=collection_id,
        )
        timestamp = to_timestamp(int(request_time.timestamp() * 1_000_000))
        successes, failures = [], []
        outcomes = iter(report.outcomes)
        for i, item in enumerate(items):
            object_id, version = _identify(item, i, timestamp)
            if i in refused:
                failures.append(generate_status_details(object_id, version, refused[i]))
                continue
            outcome = next(outcomes)
            if outcome.status == Outcome.REJECTED:
                message = "; ".join(f"{p.path}: {p.message}" for p in outcome.problems if p.severity == Severity.ERROR)
                failures.append(generate_status_details(object_id, version, message or "rejected"))
            else:
                successes.append(generate_status_details(object_id, version))
        resource: dict[str, Any] = generate_status(timestamp, "complete", len(successes), len(failures), 0, successes, failures)
        status.save(self.store.engine, api_root, principal.org_id, resource)
        return resource

    def get_status(self, api_root: str, status_id: str) -> dict[str, Any] | None:
        return status.load(self.store.engine, api_root, self._account().org_id, status_id)

    def delete_object(
        self, api_root: str, collection_id: str, object_id: str, filter_args: dict[str, str], allowed_filters: tuple[str, ...]
    ) -> None:
        query = parse_filter({**filter_args, "match[id]": object_id}, (*allowed_filters, "id"), default_versions=EVERY_VERSION)
        principal = self._principal(api_root)
        # Deleting an object takes every STIX version of it unless match[spec_version] narrows it.
        entries = self.store.collections.entries(
            collection_id,
            self.gate.readable(principal),
            ids=query.ids,
            spec_versions=query.spec_versions or SPEC_VERSIONS,
            versions=query.versions,
        )
        if not entries:
            raise ProcessingError(f"Object '{object_id}' not found", 404)
        if not self.gate.may_delete(principal, {entry.source_org for entry in entries}):
            raise ProcessingError("a partner may delete only versions its own organisation added", 403)
        self.store.collections.remove(collection_id, [(entry.object_id, entry.modified_us) for entry in entries])


def _version(entry: Entry) -> str:
    return entry.modified or entry.created or to_timestamp(entry.date_added_us)


def _identify(item: object, position: int, timestamp: str) -> tuple[str, str]:
    """(id, version) for a status entry; what has neither gets its position and the request time."""
    if not isinstance(item, dict):
        return f"objects[{position}]", timestamp
    object_id = item["id"] if isinstance(item.get("id"), str) else f"objects[{position}]"
    version = item.get("modified") or item.get("created") or timestamp
    return object_id, version if isinstance(version, str) else timestamp
