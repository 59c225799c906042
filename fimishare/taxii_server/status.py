"""TAXII status resources (section 4.3): kept in the store, readable by the organisation that posted."""

from __future__ import annotations

import time
from typing import Any, cast

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection, Engine

from fimishare.store.schema import taxii_statuses


def save(engine: Engine, api_root: str, org_id: str, resource: dict[str, Any]) -> None:
    with engine.begin() as connection:
        insert_status(connection, api_root, org_id, resource, time.time_ns() // 1000)


def insert_status(connection: Connection, api_root: str, org_id: str, resource: dict[str, Any], created_at_us: int) -> None:
    connection.execute(
        insert(taxii_statuses).values(id=resource["id"], api_root=api_root, org_id=org_id, resource=resource, created_at_us=created_at_us)
    )


def exists(connection: Connection, status_id: str) -> bool:
    return connection.execute(select(taxii_statuses.c.id).where(taxii_statuses.c.id == status_id)).first() is not None


def load(engine: Engine, api_root: str, org_id: str, status_id: str) -> dict[str, Any] | None:
    """The status, if it was posted to this API root by this organisation; otherwise None (a 404)."""
    query = select(taxii_statuses.c.resource).where(
        taxii_statuses.c.id == status_id, taxii_statuses.c.api_root == api_root, taxii_statuses.c.org_id == org_id
    )
    with engine.connect() as connection:
        return cast("dict[str, Any] | None", connection.execute(query).scalar())
