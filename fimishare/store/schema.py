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

from fimishare.stix import EntryPath, Role, one_of

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
    CheckConstraint(one_of("role", Role), name="role"),
)

# Machine credentials: random keys, kept as SHA-256 digests (they carry 256 bits of
# entropy, so a fast hash is enough and every request can afford to check one).
api_keys = Table(
    "api_keys",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("account_id", BigKey, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at_us", BigInteger, nullable=False),
)

# Everything the sharing policy looks at when it decides about an object, apart from its
# content: objects of one class are readable by exactly the same principals, so a reader's
# filter is the list of classes it may read (see fimishare.sharing.access).
access_classes = Table(
    "access_classes",
    metadata,
    Column("id", BigKey, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False, unique=True),  # digest of the other columns
    Column("object_marking_refs", JSON, nullable=False),  # sorted
    Column("source_org", String(64), nullable=False),
    Column("submitted_by", String(64)),
    Column("created_by_ref", String(250)),
    Column("reference", Boolean, nullable=False),
    Column("granular", Boolean, nullable=False),
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
    Column("access_class", BigKey, ForeignKey("access_classes.id"), nullable=False),
    Column("profiles", String(100), nullable=False, default=""),  # names of the profiles covering it, space-separated
    UniqueConstraint("id", "modified_us"),
    CheckConstraint(one_of("entry_path", EntryPath), name="entry_path"),
    Index(None, "type", "date_added_us"),
)

# Normalised observable values (see ingest.observables) for exact lookup and clustering.
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

# Strictly increasing clocks: "store" gives date_added in the store and its collections;
# "collections" moves whenever roots, collections or grants change. A clock's row is locked
# for the whole writing transaction, so the order of date_added is the order of commits
# and paging by added_after never skips.
timelines = Table(
    "timelines",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("last_added_us", BigInteger, nullable=False),
)

# TAXII API roots, served under /taxii2/<name>/. An exercise root serves its readers in
# an exercise context: the sharing policy then shows them exercise data only.
api_roots = Table(
    "api_roots",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("description", Text),
    Column("max_content_length", BigInteger, nullable=False),
    Column("exercise", Boolean, nullable=False, default=False),
    # The root discovery names as the default (at most one; otherwise the oldest).
    Column("is_default", Boolean, nullable=False, default=False),
    Column("created_at_us", BigInteger, nullable=False),
)

# A TAXII collection is a saved filter over the store (`filter`: types, profiles, tlp,
# markings; empty matches everything) plus what was posted into it.
collections = Table(
    "collections",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("api_root", String(64), ForeignKey("api_roots.name"), nullable=False),
    Column("alias", String(100)),
    Column("title", String(200), nullable=False),
    Column("description", Text),
    Column("filter", JSON, nullable=False),
    Column("writable", Boolean, nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
    UniqueConstraint("api_root", "alias"),
)

# Which partner organisations read or write a collection ("*": every partner). Accounts
# of this node's own organisation need no grant.
collection_grants = Table(
    "collection_grants",
    metadata,
    Column("collection_id", String(64), ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True),
    Column("org_id", String(64), primary_key=True),
    Column("can_read", Boolean, nullable=False),
    Column("can_write", Boolean, nullable=False),
)

# The versions each collection holds, with their date_added there. Written in the same
# transaction as the versions, with values from the store's timeline, so paging a
# collection by date_added never skips. Versions migrated from another server keep the
# date_added it gave them, which several versions may share: pages run in the order of
# (date_added, version_added). The key columns are repeated from object_versions so that
# TAXII filters and "latest version" are answered from this table's indexes.
collection_entries = Table(
    "collection_entries",
    metadata,
    Column("collection_id", String(64), ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True),
    Column("version_added_us", BigInteger, ForeignKey("object_versions.date_added_us", ondelete="CASCADE"), primary_key=True),
    Column("date_added_us", BigInteger, nullable=False),
    Column("object_id", String(250), nullable=False),
    Column("type", String(250), nullable=False),
    Column("spec_version", String(8), nullable=False),
    Column("modified_us", BigInteger, nullable=False),
    Column("access_class", BigKey, nullable=False),
    Index(None, "collection_id", "date_added_us", "version_added_us"),
    Index(None, "collection_id", "object_id", "modified_us"),
    Index(None, "collection_id", "type", "date_added_us"),
    sqlite_with_rowid=False,
)

# TAXII status resources: what became of each POST, readable by the posting organisation.
taxii_statuses = Table(
    "taxii_statuses",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("api_root", String(64), ForeignKey("api_roots.name", ondelete="CASCADE"), nullable=False),
    Column("org_id", String(64), nullable=False),
    Column("resource", JSON, nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
)

# Versions the search index has not taken yet, written in the same transaction as the
# versions themselves: a search engine that is down loses nothing, it catches up.
search_outbox = Table(
    "search_outbox",
    metadata,
    Column("version_added_us", BigInteger, ForeignKey("object_versions.date_added_us", ondelete="CASCADE"), primary_key=True),
)
