"""From bytes to a list of candidate STIX objects: a bundle, a bare list, or one object;
and what in an object the store could not keep exactly."""

from __future__ import annotations

import json
from typing import Any

import orjson

from fimishare.stix import json_path

# Deeper than any STIX object needs (extensions nest a few levels), and well inside what
# the JSON encoder takes (255): deeper objects are rejected alone, not the file with them.
MAX_DEPTH = 100
# orjson, which writes every stored version, keeps integers in [-2^63, 2^64) exactly; it
# reads larger ones as floats, so no float from that far out can be told from a rounded integer.
_LOWEST, _BEYOND = -(2**63), 2**64
_FLOAT_LIMIT = 2.0**63
_BOM = b"\xef\xbb\xbf"
_TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels"


class InputError(ValueError):
    """The whole input is unusable (not JSON, too large, not STIX at all); nothing from it is stored."""


def check_size(size: int, *, source: str, max_bytes: int) -> None:
    if size > max_bytes:
        raise InputError(
            f"{source}: {size:,} bytes is over the limit of {max_bytes:,} bytes (FIMISHARE_MAX_BUNDLE_BYTES); split the bundle"
        )


def parse_stix(data: bytes, *, source: str, max_bytes: int, max_objects: int) -> tuple[list[Any], dict[str, Any] | None]:
    """(candidate objects, the bundle's envelope without its objects, or None if not a bundle)."""
    check_size(len(data), source=source, max_bytes=max_bytes)
    try:
        document = load_json(data.removeprefix(_BOM))
    except ValueError as error:
        raise InputError(f"{source}: malformed JSON: {error}") from None
    envelope = None
    if isinstance(document, list):
        objects = document
    elif isinstance(document, dict) and document.get("type") == "bundle":
        objects = document.get("objects", [])
        if not isinstance(objects, list):
            raise InputError(f"{source}: $.objects must be a list of STIX objects, not {type(objects).__name__}")
        envelope = {name: value for name, value in document.items() if name != "objects"}
    elif isinstance(document, dict) and "type" in document:
        objects = [document]
    else:
        raise InputError(f"{source}: expected a STIX bundle, a list of STIX objects or one STIX object")
    if len(objects) > max_objects:
        raise InputError(
            f"{source}: {len(objects):,} objects is over the limit of {max_objects:,} (FIMISHARE_MAX_BUNDLE_OBJECTS); split the bundle"
        )
    return objects, envelope


def load_json(data: bytes | str) -> Any:
    """JSON text as Python values; raises ValueError, naming where the text is malformed."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as error:
        # What orjson refuses inside one value (a lone surrogate, a number past a double's
        # range) the standard parser reads, so that the object holding it is rejected alone.
        try:
            return json.loads(data, parse_constant=_no_constant)
        except (ValueError, RecursionError):
            raise error from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def unkeepable(obj: dict[str, Any]) -> tuple[str, str] | None:
    """(JSON path, why) of the first value in ``obj`` that the store could not keep exactly, or None."""
    found = _first_unkeepable(obj, 1)
    if found is None:
        return None
    parts, why = found
    if why == _TOO_DEEP:
        parts = parts[-1:]  # the property it starts from: a hundred steps down would say no more
    return json_path(*reversed(parts)), why


def _first_unkeepable(value: dict[str, Any] | list[Any], depth: int) -> tuple[list[str | int], str] | None:
    if depth > MAX_DEPTH:
        return [], _TOO_DEEP
    items = value.items() if type(value) is dict else enumerate(value)
    for key, item in items:
        if type(key) is str and not key.isascii() and not _encodes(key):
            # Named escaped: the answer that names it must be Unicode text itself.
            return [key.encode(errors="backslashreplace").decode()], "the property name holds a lone surrogate, which is not Unicode text"
        kind = type(item)
        if kind is dict or kind is list:
            found = _first_unkeepable(item, depth + 1)
        elif kind is int:
            found = None if _LOWEST <= item < _BEYOND else ([], f"the integer {item} is beyond 64 bits: {_ADVICE}")
        elif kind is float:
            found = None if -_FLOAT_LIMIT < item < _FLOAT_LIMIT else ([], _float_problem(item))
        elif kind is str:
            found = None if item.isascii() or _encodes(item) else ([], "holds a lone surrogate, which is not Unicode text")
        else:
            continue
        if found is not None:
            found[0].append(key)
            return found
    return None


_ADVICE = "this node keeps numbers exactly or not at all (STIX 2.1 integers are at most 54-bit, section 2.12); send it as a string"


def _float_problem(number: float) -> str:
    if number != number or number in (float("inf"), float("-inf")):
        return f"{number} is not a JSON number"
    return f"{number!r} is beyond 2^63, where a number read from JSON may be an integer rounded: {_ADVICE}"


def _encodes(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True
