"""From bytes to a list of candidate STIX objects: a bundle, a bare list, or one object."""

from __future__ import annotations

from typing import Any

import orjson


class InputError(ValueError):
    """The whole input is unusable (not JSON, too large, not STIX at all); nothing from it is stored."""


def check_size(size: int, *, source: str, max_bytes: int) -> None:
    if size > max_bytes:
        raise InputError(
            f"{source}: {size:,} bytes is over the limit of {max_bytes:,} bytes (FIMISHARE_MAX_BUNDLE_BYTES); split the bundle"
        )


def parse_stix(data: bytes, *, source: str, max_bytes: int, max_objects: int) -> list[Any]:
    check_size(len(data), source=source, max_bytes=max_bytes)
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise InputError(f"{source}: malformed JSON: {error}") from None
    if isinstance(document, list):
        objects = document
    elif isinstance(document, dict) and document.get("type") == "bundle":
        objects = document.get("objects", [])
        if not isinstance(objects, list):
            raise InputError(f"{source}: $.objects must be a list of STIX objects, not {type(objects).__name__}")
    elif isinstance(document, dict) and "type" in document:
        objects = [document]
    else:
        raise InputError(f"{source}: expected a STIX bundle, a list of STIX objects or one STIX object")
    if len(objects) > max_objects:
        raise InputError(
            f"{source}: {len(objects):,} objects is over the limit of {max_objects:,} (FIMISHARE_MAX_BUNDLE_OBJECTS); split the bundle"
        )
    return objects
