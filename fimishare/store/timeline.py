"""Server-side date_added: strictly increasing and unique per timeline, in commit order."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from fimishare.store.schema import timelines

STORE_TIMELINE = "store"


def allocate(connection: Connection, timeline: str, count: int) -> list[int]:
    """Reserve `count` date_added values (microseconds since the epoch) on `timeline`.

    The timeline row stays locked until the caller's transaction ends (SQLite: the
    write transaction; PostgreSQL: SELECT ... FOR UPDATE), so a reader paging with
    added_after can never see a later value commit before an earlier one.
    """
    if count <= 0:
        return []
    last = lock(connection, timeline)
    first = max(time.time_ns() // 1000, last + 1)
    values = list(range(first, first + count))
    connection.execute(update(timelines).where(timelines.c.name == timeline).values(last_added_us=values[-1]))
    return values


def lock(connection: Connection, timeline: str) -> int:
    """Lock the timeline until the transaction ends (no one else stores meanwhile); its last value."""
    query = select(timelines.c.last_added_us).where(timelines.c.name == timeline)
    if connection.dialect.name != "sqlite":
        query = query.with_for_update()
    last = connection.execute(query).scalar()
    if last is None:
        last = 0
        connection.execute(insert(timelines).values(name=timeline, last_added_us=0))
    return last


def now() -> str:
    """The current time as a STIX timestamp, to the millisecond."""
    return to_timestamp(time.time_ns() // 1000)[:-4] + "Z"


def to_timestamp(microseconds: int) -> str:
    """STIX/TAXII timestamp with microsecond precision, e.g. 2024-11-01T09:00:00.123456Z."""
    moment = datetime.fromtimestamp(microseconds / 1_000_000, tz=UTC)
    moment = moment.replace(microsecond=microseconds % 1_000_000)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_timestamp(text: str) -> int:
    """Microseconds since the epoch for a STIX timestamp (any sub-second precision; beyond microseconds is cut)."""
    # The schemas' patterns end in "$", which (in Python's re, the reference's) also matches
    # before a final newline: such a timestamp is valid STIX, and means the same instant.
    text = text.removesuffix("\n")
    if not text.endswith("Z"):
        raise ValueError(f"timestamp {text!r} must end in Z (UTC)")
    base, dot, fraction = text[:-1].partition(".")
    if dot and not (fraction.isdigit() and fraction.isascii()):
        raise ValueError(f"timestamp {text!r} has a malformed fraction of a second")
    seconds = int(datetime.fromisoformat(base + "+00:00").timestamp())
    return seconds * 1_000_000 + (int((fraction + "000000")[:6]) if dot else 0)


def advance(connection: Connection, timeline: str, to_us: int) -> None:
    """Make every later value on the locked timeline come after ``to_us``."""
    connection.execute(update(timelines).where(timelines.c.name == timeline, timelines.c.last_added_us < to_us).values(last_added_us=to_us))
