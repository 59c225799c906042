"""One fimishare node: its settings, store, directory of organisations and sharing policy."""
from __future__ import annotations

from functools import cached_property

from sqlalchemy import inspect

from fimishare.config import Settings
from fimishare.sharing.access import AccessClass, Readable
from fimishare.sharing.markings import tlp_marking_definitions
from fimishare.sharing.policy import Holding, SharingPolicy
from fimishare.sharing.principals import Principal
from fimishare.stix_profiles import profiles
from fimishare.stix_profiles.ingest import IngestPipeline, IngestReport
from fimishare.store.accounts import AccountError, Directory, Organisation, organisation_identity
from fimishare.store.collections import Collections
from fimishare.store.database import make_engine, migrate
from fimishare.store.objects import ObjectStore, Provenance, StoredVersion
from fimishare.store.timeline import now
from fimishare.taxii_server.defaults import create_default_layout


class NotInitialised(RuntimeError):
    pass


class Node:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.engine = make_engine(settings.database_url)
        self.store = ObjectStore(self.engine)
        self.directory = Directory(self.engine)
        self.collections = Collections(self.engine)
        self._policy: tuple[tuple, SharingPolicy] | None = None
        self._classes: dict[int, AccessClass] = {}
        self._readable: dict[tuple, Readable] = {}

    def migrate(self) -> None:
        self.settings.home.mkdir(parents=True, exist_ok=True)
        migrate(self.engine)

    def initialise(self, org_name: str) -> tuple[Organisation, bool, IngestReport]:
        """Create the store, this node's organisation and the default API roots, and store the
        reference objects every partner needs to read what this node sends (the TLP
        marking-definitions, the profiles' extension-definitions, this node's identity).
        Safe to run again: (organisation, whether it was made now, the reference objects' report)."""
        self.migrate()
        try:
            org, made = self.directory.node_organisation(), False
        except AccountError:
            org, made = self.directory.add_organisation(org_name, is_node=True), True
        create_default_layout(self.collections)
        reference = tlp_marking_definitions() + profiles.published_objects() + [organisation_identity(org, now())]
        return org, made, self.pipeline.ingest_objects(reference, Provenance(org.id, "admin"), source="init")

    def add_organisation(self, name: str, *, clearance: str | None = None) -> tuple[Organisation, IngestReport]:
        """A partner organisation, and its identity in the store (for created_by_ref and releasability markings)."""
        org = self.directory.add_organisation(name, clearance=clearance)
        identity = organisation_identity(org, now())
        return org, self.pipeline.ingest_objects([identity], Provenance(self.node_org, "admin"), source="orgs add")

    def require_schema(self) -> None:
        if not inspect(self.engine).has_table("object_versions"):
            raise NotInitialised(f"no fimishare store at {self.settings.database_url}: run 'fimishare init' first")

    @cached_property
    def pipeline(self) -> IngestPipeline:
        return IngestPipeline(
            self.store, max_bytes=self.settings.max_bundle_bytes, max_objects=self.settings.max_bundle_objects
        )

    @cached_property
    def node_org(self) -> str:
        """This node's organisation id (set once, by init)."""
        return self.directory.node_organisation().id

    def policy(self) -> SharingPolicy:
        """The sharing policy as of now: it knows every marking-definition the store holds."""
        return self._current()[1]

    def _current(self) -> tuple[tuple, SharingPolicy]:
        """(epoch, policy); built again only when a marking-definition or access class was added."""
        epoch = self.store.policy_epoch()
        if self._policy is None or self._policy[0][0] != epoch[0]:
            definitions = {md["id"]: md for md in tlp_marking_definitions()}
            definitions.update({v.obj["id"]: v.obj for v in self.store.iter_versions(types=["marking-definition"])})
            policy = SharingPolicy(
                node_org=self.node_org,
                classification_levels=self.settings.classification_levels,
                marking_definitions=definitions,
            )
            self._readable.clear()
        else:
            policy = self._policy[1]
        # The epoch also moves with new access classes, which need no new policy.
        self._policy = (epoch, policy)
        return self._policy

    def readable_classes(self, principal: Principal) -> Readable:
        """The access classes ``principal`` may read, as of now."""
        epoch, policy = self._current()
        key = (principal, epoch)
        if key not in self._readable:
            self._load_classes(epoch)
            up_to = max(self._classes, default=0)
            only = frozenset(i for i, access in self._classes.items() if policy.may_read_class(principal, access))
            granular = frozenset(i for i in only if self._classes[i].granular)
            if len(self._readable) > 10_000:
                self._readable.clear()
            self._readable[key] = Readable(up_to, None if len(only) == len(self._classes) else only, granular)
        return self._readable[key]

    def access_classes(self) -> dict[int, AccessClass]:
        """Every access class the store holds, by id."""
        self._load_classes(self.store.policy_epoch())
        return self._classes

    @cached_property
    def search(self):
        """The search engine (Elasticsearch or embedded) this node's settings name."""
        from fimishare.search import open_engine

        return open_engine(self.settings)

    def _load_classes(self, epoch: tuple) -> None:
        known = max(self._classes, default=0)
        if epoch[1] is not None and epoch[1] > known:
            self._classes.update(self.store.access_classes(known))

    def readable_ids(self, principal: Principal, ids) -> set[str]:
        """Which of these ids ``principal`` may read, judged on the newest stored version."""
        if not ids:
            return set()
        policy = self.policy()
        newest = self.store.latest_versions(ids)
        return {object_id for object_id, version in newest.items() if policy.may_read(principal, holding(version))}


def holding(version: StoredVersion) -> Holding:
    return Holding(obj=version.obj, source_org=version.source_org, submitted_by=version.submitted_by)
