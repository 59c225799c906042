"""The search outbox: versions stored but not yet taken by the search index.

ObjectStore.write adds a row per stored version in its own transaction; the search worker
takes rows in date_added order, indexes the objects they name and only then removes them.
A worker that fails (the search engine is down) leaves them for the next attempt, and
indexing an object twice replaces its document, so nothing is lost or doubled.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine

from fimishare.store.database import WRITE
from fimishare.store.schema import object_versions, search_outbox


class SearchOutbox:
    def __init__(self, engine: Engine):
        self.engine = engine

    def pending(self, limit: int, after: int = 0) -> dict[int, str]:
        """Up to ``limit`` waiting rows after ``after``, oldest first: {version's date_added: object id}.
        Rows are committed in date_added order, so reading on from the last one seen skips none."""
        v = object_versions
        query = (
            select(search_outbox.c.version_added_us, v.c.id)
            .join(v, v.c.date_added_us == search_outbox.c.version_added_us)
            .where(search_outbox.c.version_added_us > after)
            .order_by(search_outbox.c.version_added_us)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return {row.version_added_us: row.id for row in connection.execute(query)}

    def remove(self, keys: list[int]) -> None:
        with self.engine.connect().execution_options(**WRITE) as connection, connection.begin():
            for start in range(0, len(keys), 500):
                connection.execute(delete(search_outbox).where(search_outbox.c.version_added_us.in_(keys[start : start + 500])))

    def size(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(search_outbox)).scalar_one()
