"""The store of record, in one file. Every change here comes with an Alembic migration."""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments INTEGER PRIMARY KEY.
BigKey = BigInteger().with_variant(Integer, "sqlite")

ROLES = ("admin", "analyst", "viewer", "sync")
ENTRY_PATHS = ("portal", "api", "taxii", "sync", "import", "admin")

# Organisations are STIX identities; exactly one is this node's own.
organisations = Table(
    "organisations",
    metadata,
    Column("id", String(64), primary_key=True),  # identity--<uuid>
    Column("name", String(200), nullable=False, unique=True),
    Column("is_node", Boolean, nullable=False, default=False),
    Column("clearance", String(40)),  # highest classification level this organisation may receive
    Column("created_at_us", BigInteger, nullable=False),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", BigKey, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("identity_id", String(64), nullable=False, unique=True),  # identity--<uuid>, class individual or system
    Column("org_id", String(64), ForeignKey("organisations.id"), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("clearance", String(40)),
    Column("created_at_us", BigInteger, nullable=False),
    CheckConstraint("role IN ('admin', 'analyst', 'viewer', 'sync')", name="role"),
)

# Every version of every STIX object: key (id, modified_us). Objects without a
# modified timestamp (SCOs, marking-definitions) have one version keyed by created, or 0.
object_versions = Table(
    "object_versions",
    metadata,
    Column("pk", BigKey, primary_key=True, autoincrement=True),
    Column("id", String(250), nullable=False),
    Column("type", String(250), nullable=False),
    Column("spec_version", String(8), nullable=False),
    Column("modified_us", BigInteger, nullable=False),
    Column("created", String(40)),
    Column("modified", String(40)),
    Column("revoked", Boolean, nullable=False, default=False),
    Column("created_by_ref", String(250)),
    Column("marking_refs", JSON, nullable=False),  # object and granular marking refs, as given
    Column("tlp", String(16)),  # the most restrictive TLP 2.0 level among the refs
    Column("source_org", String(64), ForeignKey("organisations.id"), nullable=False),
    Column("submitted_by", String(64)),  # the account's identity id
    Column("entry_path", String(16), nullable=False),
    Column("date_added_us", BigInteger, nullable=False, unique=True),
    Column("content_hash", String(64), nullable=False),
    Column("json", Text, nullable=False),
    UniqueConstraint("id", "modified_us"),
    CheckConstraint("entry_path IN ('portal', 'api', 'taxii', 'sync', 'import', 'admin')", name="entry_path"),
    Index(None, "type", "date_added_us"),
)

# Normalised observable values (see stix_profiles.observables) for exact lookup and clustering.
observables = Table(
    "observables",
    metadata,
    # The version's date_added: unique, and known before the insert returns anything.
    Column("version_added_us", BigInteger, ForeignKey("object_versions.date_added_us", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("value", String(2048), primary_key=True),
    Index(None, "value", "kind"),
    sqlite_with_rowid=False,
)

# Strictly increasing date_added clocks: "store" for the store itself, "collection:<id>"
# per TAXII collection. The row is locked for the whole writing transaction, so the
# order of date_added is the order of commits and paging by added_after never skips.
timelines = Table(
    "timelines",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("last_added_us", BigInteger, nullable=False),
)

collections = Table(
    "collections",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("description", Text),
    Column("created_at_us", BigInteger, nullable=False),
)

# What was posted into a collection, with its own date_added there.
collection_entries = Table(
    "collection_entries",
    metadata,
    Column("collection_id", String(64), ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True),
    Column("version_pk", BigKey, ForeignKey("object_versions.pk", ondelete="CASCADE"), primary_key=True),
    Column("date_added_us", BigInteger, nullable=False),
    UniqueConstraint("collection_id", "date_added_us"),
)
