"""The store of record (see store.py); the schema in schema.py, every change an Alembic migration."""

from fimishare.store.store import NotInitialised, Store

__all__ = ["NotInitialised", "Store"]
