"""Engines for the store of record: SQLite (WAL) by default, PostgreSQL at scale."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import ConnectionPoolEntry

if TYPE_CHECKING:
    import sqlite3

    import psycopg
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")

# Connections that will write take the SQLite write lock when they begin, not halfway
# through, so two importers queue instead of failing with "database is locked".
WRITE = {"fimishare_write": True}


def make_engine(database_url: str) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})
        _configure_sqlite(engine)
        return engine
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    # Reads here are index-driven pages (TAXII, the API): starting parallel workers costs
    # more than they save (a 1,000-object page took 23 ms with them, 15 ms without).
    return create_engine(url, pool_pre_ping=True, connect_args={"options": "-c max_parallel_workers_per_gather=0"})


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's begin event below issue BEGIN, rather than pysqlite guessing.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        # Imports touch index pages all over the b-trees (ids are random UUIDs): keep them
        # in memory rather than re-reading them for every batch.
        cursor.execute("PRAGMA cache_size=-131072")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get("fimishare_write"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def insert_rows(connection: Connection, table: Table, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]) -> int:
    """executemany straight to the driver, with bound parameters (SQLAlchemy's per-row
    processing cost more than the database's own insert); rows whose key is already
    there are skipped. Returns how many were inserted."""
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    statement = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))}) ON CONFLICT DO NOTHING"
    return connection.exec_driver_sql(statement, rows).rowcount


def copy_rows(connection: Connection, table: Table, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]) -> None:
    """Rows known to be new, in bulk: PostgreSQL's COPY (several times faster than an
    INSERT per row), an executemany on SQLite."""
    if not rows:
        return
    if is_sqlite(connection):
        insert_rows(connection, table, columns, rows)
        return
    # PostgreSQL here: the driver's own connection (psycopg), whose COPY the DB-API does not know.
    raw = cast("psycopg.Connection[Any]", connection.connection.dbapi_connection)
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def refresh_statistics(connection: Connection, table: str) -> None:
    """Keep the planner's statistics for `table` current as it grows. Without them SQLite
    walks a whole collection in date_added order rather than use the index that finds the
    few rows a filter asks for, and PostgreSQL, before autovacuum comes round after a bulk
    load, sorts whole collections to answer one page.

    SQLite's are sampled (analysis_limit): a few milliseconds at any size, so every time.
    PostgreSQL's are taken once a fifth of the table has changed since the last time."""
    if is_sqlite(connection):
        connection.exec_driver_sql("PRAGMA analysis_limit=400")
        connection.exec_driver_sql(f"ANALYZE {table}")
        return
    stale = connection.exec_driver_sql(
        "SELECT s.n_mod_since_analyze > 1000 + 0.2 * greatest(c.reltuples, 0) FROM pg_stat_user_tables s "
        "JOIN pg_class c ON c.oid = s.relid WHERE s.relname = %s",
        (table,),
    ).scalar()
    if stale:
        connection.exec_driver_sql(f"ANALYZE {table}")


def is_sqlite(engine_or_connection: Engine | Connection) -> bool:
    return engine_or_connection.dialect.name == "sqlite"


def alembic_config(engine: Engine) -> Config:
    # Alembic is imported here, not at the top: only init and tests need it, every command starts faster.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (creating it on an empty database)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)
