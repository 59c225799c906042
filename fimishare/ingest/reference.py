"""Reference objects: what every partner needs to read what this node sends (the TLP
marking-definitions, the profiles' extension-definitions, the organisations' identities)."""

from __future__ import annotations

from fimishare.ingest.pipeline import IngestPipeline, IngestReport
from fimishare.stix import EntryPath, tlp_marking_definitions
from fimishare.stix_profiles import profiles
from fimishare.store.accounts import Directory, Organisation, organisation_identity
from fimishare.store.objects import Provenance
from fimishare.store.timeline import now


def store_reference_objects(pipeline: IngestPipeline, node_org: Organisation, *, source: str) -> IngestReport:
    """Store (again: unchanged ones are only counted) the reference objects of this node."""
    reference = tlp_marking_definitions() + profiles.published_objects() + [organisation_identity(node_org, now())]
    return pipeline.ingest_objects(reference, Provenance(node_org.id, EntryPath.ADMIN), source=source)


def add_organisation(
    directory: Directory, pipeline: IngestPipeline, name: str, *, clearance: str | None = None
) -> tuple[Organisation, IngestReport]:
    """A partner organisation, and its identity in the store (for created_by_ref and releasability markings)."""
    org = directory.add_organisation(name, clearance=clearance)
    identity = organisation_identity(org, now())
    node_org = directory.node_organisation().id
    return org, pipeline.ingest_objects([identity], Provenance(node_org, EntryPath.ADMIN), source="orgs add")
