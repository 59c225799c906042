"""One fimishare node: its settings, store, directory of organisations and sharing policy."""
from __future__ import annotations

from functools import cached_property

from sqlalchemy import inspect

from fimishare.config import Settings
from fimishare.sharing.markings import tlp_marking_definitions
from fimishare.sharing.policy import Holding, SharingPolicy
from fimishare.stix_profiles.ingest import IngestPipeline
from fimishare.store.accounts import Directory
from fimishare.store.database import make_engine, migrate
from fimishare.store.objects import ObjectStore, StoredVersion


class NotInitialised(RuntimeError):
    pass


class Node:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.engine = make_engine(settings.database_url)
        self.store = ObjectStore(self.engine)
        self.directory = Directory(self.engine)

    def migrate(self) -> None:
        self.settings.home.mkdir(parents=True, exist_ok=True)
        migrate(self.engine)

    def require_schema(self) -> None:
        if not inspect(self.engine).has_table("object_versions"):
            raise NotInitialised(f"no fimishare store at {self.settings.database_url}: run 'fimishare init' first")

    @cached_property
    def pipeline(self) -> IngestPipeline:
        return IngestPipeline(
            self.store, max_bytes=self.settings.max_bundle_bytes, max_objects=self.settings.max_bundle_objects
        )

    def policy(self) -> SharingPolicy:
        """The sharing policy as of now: it knows every marking-definition the store holds."""
        definitions = {md["id"]: md for md in tlp_marking_definitions()}
        definitions.update({v.obj["id"]: v.obj for v in self.store.iter_versions(types=["marking-definition"])})
        return SharingPolicy(
            node_org=self.directory.node_organisation().id,
            classification_levels=self.settings.classification_levels,
            marking_definitions=definitions,
        )


def holding(version: StoredVersion) -> Holding:
    return Holding(obj=version.obj, source_org=version.source_org, submitted_by=version.submitted_by)
