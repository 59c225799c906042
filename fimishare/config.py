"""Configuration read from the environment, once per application or command."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fimishare.stix import DEFAULT_CLASSIFICATION_LEVELS


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    elasticsearch_url: str | None
    elasticsearch_index: str = "fimishare"
    classification_levels: tuple[str, ...] = DEFAULT_CLASSIFICATION_LEVELS
    max_bundle_bytes: int = 256 * 1024 * 1024
    max_bundle_objects: int = 1_000_000
    taxii_max_page_size: int = 1000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = Path(env.get("FIMISHARE_HOME") or "var").resolve()
        database_url = env.get("FIMISHARE_DATABASE_URL") or f"sqlite:///{home / 'fimishare.db'}"
        levels = env.get("FIMISHARE_CLASSIFICATION_LEVELS")
        return cls(
            home=home,
            database_url=database_url,
            elasticsearch_url=env.get("FIMISHARE_ELASTICSEARCH_URL") or None,
            elasticsearch_index=env.get("FIMISHARE_ELASTICSEARCH_INDEX") or "fimishare",
            classification_levels=tuple(level.strip() for level in levels.split(",") if level.strip())
            if levels
            else DEFAULT_CLASSIFICATION_LEVELS,
            max_bundle_bytes=int(env.get("FIMISHARE_MAX_BUNDLE_BYTES", 256 * 1024 * 1024)),
            max_bundle_objects=int(env.get("FIMISHARE_MAX_BUNDLE_OBJECTS", 1_000_000)),
            taxii_max_page_size=int(env.get("FIMISHARE_TAXII_MAX_PAGE_SIZE", 1000)),
        )
