"""fimishare's store behind medallion's own TAXII server.

medallion builds its backend from its configuration's ``backend`` section:
``{"module": "fimishare.platform.medallion", "module_class": "MedallionBackend"}``, with
the store named by FIMISHARE_HOME or FIMISHARE_DATABASE_URL, and optionally ``filename``,
a medallion data file that seeds the store when none of its API roots is there yet, and
``account``, the fimishare account that medallion's users act as unless an account has
their name (default: the account the seeding made).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fimishare.config import Settings
from fimishare.node import Node, initialise
from fimishare.taxii_server.backend import StoreBackend
from fimishare.taxii_server.medallion_data import DEFAULT_ACCOUNT, migrate, read_data

log = logging.getLogger(__name__)


class MedallionBackend(StoreBackend):
    def __init__(self, *, filename: str | None = None, account: str = DEFAULT_ACCOUNT, **medallion_config: Any) -> None:
        node = open_seeded(Settings.from_env(), filename, account)
        super().__init__(node.store, node.gate, node.pipeline, medallion_account=account)


def open_seeded(settings: Settings, filename: str | None, account: str) -> Node:
    """A node for medallion's server: the store initialised if new, and seeded from
    ``filename`` unless the file's API roots are there already (a restart)."""
    data = read_data(Path(filename)) if filename else None
    node = Node(settings)
    _, _, report = initialise(node, data.title if data and data.title else "fimishare node")
    if not report.ok:
        raise RuntimeError(f"could not initialise the store at {settings.database_url}: {report.errors()[:3]}")
    existing = {root.name for root in node.store.collections.roots()}
    if data is not None and not existing & {root.name for root in data.roots}:
        migrated = migrate(node.store, node.pipeline, data, source=str(filename), account=account)
        for where, problem in migrated.ingest.errors():
            log.warning("not migrated: %s: %s at %s: %s", where, problem.object_id, problem.path, problem.message)
        for note in migrated.notes:
            log.warning("%s", note)
        log.warning(
            "seeded %s from %s: %d collections, %d entries; medallion's users act as account %s",
            settings.database_url,
            filename,
            migrated.collections,
            migrated.entries,
            migrated.account.name,
        )
    return node
