"""What the ingest pipeline reports about one object: an error rejects it, a warning does not."""
from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    object_id: str | None
    path: str  # JSON path inside the object, e.g. "$.created" or "$.external_references[0].url"
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        where = self.object_id or "(no id)"
        return f"{self.severity}: {where} at {self.path}: {self.message}"


def json_path(*parts: str | int) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path
