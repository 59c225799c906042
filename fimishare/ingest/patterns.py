"""STIX patterns (2.1 and 2.0) read once: the verdict of stix2-patterns and the comparisons it finds.

stix2-patterns (an ANTLR parser) takes about a millisecond a pattern here, which alone
would cap ingest at a few thousand indicators a second. Most indicators in real feeds
are the simple form `[type:path = 'value'] OR [...]`; a strict regular reading of that
form gives the same answer without the parser, and everything else goes to the parser.
tests/test_patterns.py holds the two to the same answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from stix2patterns.v20 import object_validator as object_validator_20
from stix2patterns.v21 import object_validator as object_validator_21

_OBJECT_VALIDATORS = {"2.0": object_validator_20, "2.1": object_validator_21}

_KEYWORDS = frozenset(
    "AND OR NOT FOLLOWEDBY LIKE MATCHES ISSUPERSET ISSUBSET EXISTS LAST IN START STOP SECONDS TRUE FALSE WITHIN REPEATS TIMES".split()
)
_TYPE = r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*"
_STEP = r"[a-zA-Z_][a-zA-Z0-9_]*"
_PATH = rf"{_STEP}(?:\.(?:{_STEP}|'[A-Za-z0-9_-]+'))*"
_STRING = r"'(?:[^'\\]|\\['\\])*'"
_COMPARISON = re.compile(rf" *({_TYPE}):({_PATH}) *(!=|=) *({_STRING})")
_SPACES = re.compile(" *")
_JOIN = re.compile(r" +(AND|OR) +")
_PATH_STEP = re.compile(rf"\.?(?:({_STEP})|'([A-Za-z0-9_-]+)')")


@dataclass(frozen=True)
class PatternReading:
    errors: tuple[str, ...]  # stix2-patterns' messages; empty when the pattern is valid
    comparisons: dict[str, list[Any]]  # object type -> [(path steps, operator, literal as written)], as stix2-patterns inspects it

    @property
    def valid(self) -> bool:
        return not self.errors


@lru_cache(maxsize=8192)
def read_pattern(pattern: str, version: str = "2.1") -> PatternReading:
    simple = _read_simple(pattern, version) if version in _OBJECT_VALIDATORS else None
    if simple is not None:
        return simple
    return _read_with_parser(pattern, version)


def _read_with_parser(pattern: str, version: str) -> PatternReading:
    from stix2patterns.validator import run_validator

    errors = run_validator(pattern, version)
    if errors:
        return PatternReading(tuple(errors), {})
    if version == "2.1":
        from stix2patterns.v21.pattern import Pattern
    else:
        from stix2patterns.v20.pattern import Pattern
    return PatternReading((), dict(Pattern(pattern).inspect().comparisons))


def _read_simple(pattern: str, version: str = "2.1") -> PatternReading | None:
    """The reading of a pattern of the simple form, or None when it is not of that form."""
    comparisons: dict[str, list[Any]] = {}
    position, end = 0, len(pattern)
    while True:
        if not pattern.startswith("[", position):
            return None
        position += 1
        while True:
            match = _COMPARISON.match(pattern, position)
            if match is None:
                return None
            object_type, path, operator, literal = match.groups()
            steps = [named or quoted for named, quoted in _PATH_STEP.findall(path)]
            if object_type.upper() in _KEYWORDS or any(step.upper() in _KEYWORDS for step in steps):
                return None
            comparisons.setdefault(object_type, []).append((steps, operator, literal))
            position = match.end()
            join = _JOIN.match(pattern, position)
            if join is None:
                break
            position = join.end()
        position = cast("re.Match[str]", _SPACES.match(pattern, position)).end()  # " *" matches anywhere
        if not pattern.startswith("]", position):
            return None
        position += 1
        if position == end:
            break
        join = _JOIN.match(pattern, position)
        if join is None:
            return None
        position = join.end()
    reading = PatternReading((), comparisons)
    errors = _OBJECT_VALIDATORS[version].verify_object(reading)
    return PatternReading(tuple(errors), {}) if errors else reading
