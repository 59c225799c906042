"""TAXII 2.1 URL filters (section 3.5) read into a query on a collection; bad values are a 400."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from medallion.exceptions import ProcessingError

from fimishare.stix import SPEC_VERSIONS
from fimishare.store.collections import END_OF_INSTANT, Position, VersionSelector
from fimishare.store.timeline import from_timestamp

_TOKEN = re.compile(r"^([0-9]{1,19})(?:-([0-9]{1,19}))?$")
_TYPE = re.compile(r"^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class TaxiiFilter:
    after: Position | None = None  # added_after, or the position `next` stands for, whichever is later
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: VersionSelector = field(default_factory=VersionSelector)
    spec_versions: tuple[str, ...] = ()


LAST_VERSION = VersionSelector()  # TAXII 2.1 section 3.4.1: without match[version], the newest


def next_token(position: Position) -> str:
    """`next` names the last entry of a page by its place in the collection's order:
    (date_added, version_added). Entries are committed in that order, and several may share
    a date_added (migrated ones), so continuing from there neither skips nor repeats."""
    date_added_us, version_added_us = position
    return f"{date_added_us}-{version_added_us}"


def parse_filter(args: dict[str, str], allowed: tuple[str, ...], *, default_versions: VersionSelector = LAST_VERSION) -> TaxiiFilter:
    """``allowed``: the match[...] fields this endpoint takes (medallion's allowed_filters)."""
    for name in args:
        if name.startswith("match[") and (not name.endswith("]") or name[6:-1] not in allowed):
            raise _bad(f"{name} is not a filter of this endpoint (it takes {', '.join(f'match[{a}]' for a in allowed) or 'none'})")
    after = None
    if "added_after" in args:
        after = (_timestamp("added_after", args["added_after"]), END_OF_INSTANT)
    if "next" in args:
        token = _TOKEN.match(args["next"])
        if token is None:
            raise _bad(f"next={args['next']!r} is not a value this server gave")
        # A bare date_added is a token from before entries could share one.
        position = (int(token[1]), int(token[2]) if token[2] else END_OF_INSTANT)
        if max(position) > END_OF_INSTANT:  # 19 digits may still pass what a database integer holds
            raise _bad(f"next={args['next']!r} is not a value this server gave")
        after = max(after or position, position)
    return TaxiiFilter(
        after=after,
        ids=tuple(_each("match[id]", args, _ID, "a STIX id such as indicator--<uuid>")),
        types=tuple(_each("match[type]", args, _TYPE, "a STIX type name such as indicator")),
        versions=_versions(args.get("match[version]"), default_versions),
        spec_versions=tuple(_spec_versions(args.get("match[spec_version]"))),
    )


def _each(name: str, args: dict[str, str], pattern: re.Pattern[str], what: str) -> list[str]:
    if name not in args:
        return []
    values = _split(name, args[name])
    for value in values:
        if not pattern.match(value):
            raise _bad(f"{name}: {value!r} is not {what}")
    return values


def _versions(text: str | None, default: VersionSelector) -> VersionSelector:
    if text is None:
        return default
    first = last = every = False
    at = []
    for value in _split("match[version]", text):
        if value == "first":
            first = True
        elif value == "last":
            last = True
        elif value == "all":
            every = True
        else:
            at.append(_timestamp("match[version]", value, "or first, last or all"))
    return VersionSelector(first=first, last=last, all=every, at=tuple(at))


def _spec_versions(text: str | None) -> list[str]:
    if text is None:
        return []
    values = _split("match[spec_version]", text)
    for value in values:
        if value not in SPEC_VERSIONS:
            raise _bad(f"match[spec_version]: {value!r} is not one of {', '.join(SPEC_VERSIONS)}")
    return values


def _split(name: str, text: str) -> list[str]:
    values = [value.strip() for value in text.split(",")]
    if not all(values):
        raise _bad(f"{name} has an empty value")
    return values


def _timestamp(name: str, value: str, alternatives: str = "") -> int:
    try:
        return from_timestamp(value)
    except (TypeError, ValueError):
        raise _bad(f"{name}: {value!r} is not a timestamp such as 2024-11-01T09:00:00.000Z {alternatives}".rstrip()) from None


def _bad(message: str) -> ProcessingError:
    return ProcessingError(message, 400)
