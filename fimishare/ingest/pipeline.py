"""The one ingest pipeline: parse, validate, profile, store. Every entry path uses it.

Whether a submitter may submit at all is the gate's answer, asked by the entry path before
it calls in. What the report then tells a submitter (reference warnings, profile checks
against stored objects, "unchanged" and conflicts) is drawn only from what the gate lets
them read (`reader`): an object they may not read answers as one the store does not hold.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import multiprocessing
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.engine import Engine

from fimishare.ingest import observables
from fimishare.ingest.parsing import InputError, check_size, parse_stix, unkeepable
from fimishare.ingest.validation import SpecValidator, default_validator
from fimishare.sharing import Gate, Principal
from fimishare.sharing.access import Readable
from fimishare.stix import Outcome, Problem, Severity, json_path, tlp_of
from fimishare.stix_profiles import profiles
from fimishare.store.objects import ObjectStore, Provenance, Version
from fimishare.store.timeline import from_timestamp

log = logging.getLogger(__name__)


# Text that a browser would run if a page ever inserted it as HTML. It is stored as
# given (the JSON is kept verbatim) and every page renders it as text; the warning
# tells the submitter it was noticed.
_ACTIVE_MARKUP = re.compile(
    r"<\s*/?\s*(script|iframe|object|embed|svg|img|style|link|meta|form)\b|<[^>]*\bon[a-z]+\s*=|javascript\s*:", re.I
)
_MAX_OBSERVABLE_LENGTH = 2048


# Told after each stored batch: objects done so far in this input, objects in it.
Progress = Callable[[int, int], None]
# What the submitter sees of the objects the store holds under these ids: the newest
# version of each they may read, as they may read it.
Sight = Callable[[Iterable[str]], dict[str, dict[str, Any]]]


@dataclass
class ObjectOutcome:
    id: str | None
    status: str  # stored, unchanged or rejected
    problems: list[Problem] = field(default_factory=list)
    source: str = ""
    version: str | None = None  # the object's modified (or created) timestamp


@dataclass
class IngestReport:
    outcomes: list[ObjectOutcome] = field(default_factory=list)
    input_errors: list[str] = field(default_factory=list)  # inputs that could not be read at all

    def count(self, status: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    @property
    def stored(self) -> int:
        return self.count(Outcome.STORED)

    @property
    def unchanged(self) -> int:
        return self.count(Outcome.UNCHANGED)

    @property
    def rejected(self) -> int:
        return self.count(Outcome.REJECTED) + len(self.input_errors)

    @property
    def ok(self) -> bool:
        return self.rejected == 0

    def warnings(self) -> list[Problem]:
        return [p for o in self.outcomes for p in o.problems if p.severity == Severity.WARNING]

    def errors(self) -> list[tuple[str, Problem]]:
        return [(o.source, p) for o in self.outcomes if o.status == Outcome.REJECTED for p in o.problems if p.severity == Severity.ERROR]

    def extend(self, other: IngestReport) -> None:
        self.outcomes.extend(other.outcomes)
        self.input_errors.extend(other.input_errors)


class IngestPipeline:
    def __init__(
        self,
        store: ObjectStore,
        gate: Gate,
        *,
        validator: SpecValidator | None = None,
        max_bytes: int = 256 * 1024 * 1024,
        max_objects: int = 1_000_000,
        batch_size: int = 500,
        write_batch_size: int = 5000,
        workers: int | None = None,
    ):
        self.store = store
        self.gate = gate
        self.validator = validator or default_validator()
        self.max_bytes = max_bytes
        self.max_objects = max_objects
        self.batch_size = batch_size
        self.write_batch_size = write_batch_size
        self.workers = workers if workers is not None else (os.cpu_count() or 1)

    # -- entry points --------------------------------------------------------

    def ingest_file(self, path: Path, provenance: Provenance, progress: Progress | None = None) -> IngestReport:
        """A file of STIX: a bundle, a list of objects or one object (other formats: fimishare.feeds)."""
        try:
            check_size(path.stat().st_size, source=str(path), max_bytes=self.max_bytes)  # before reading it all in
            items = self._parse(path.read_bytes(), str(path))
        except (InputError, OSError) as error:
            return IngestReport(input_errors=[str(error)])
        return self.ingest_objects(items, provenance, source=str(path), progress=progress)

    def ingest_bytes(
        self,
        data: bytes,
        provenance: Provenance,
        *,
        source: str = "<input>",
        reader: Principal | None = None,
        posted_to: str | None = None,
    ) -> IngestReport:
        try:
            items = self._parse(data, source)
        except InputError as error:
            return IngestReport(input_errors=[str(error)])
        return self.ingest_objects(items, provenance, source=source, reader=reader, posted_to=posted_to)

    def _parse(self, data: bytes, source: str) -> list[Any]:
        items, envelope = parse_stix(data, source=source, max_bytes=self.max_bytes, max_objects=self.max_objects)
        if envelope is not None:
            # The bundle itself is judged as the reference judges it, before anything in it is taken.
            errors = [f"{p.path} {p.message}" for p in self.validator.validate(envelope) if p.severity == Severity.ERROR]
            if errors:
                raise InputError(f"{source}: not a valid STIX bundle, so nothing in it was taken: {'; '.join(errors)}")
        return items

    def ingest_objects(
        self,
        items: list[Any],
        provenance: Provenance,
        *,
        source: str = "<input>",
        progress: Progress | None = None,
        reader: Principal | None = None,
        posted_to: str | None = None,
    ) -> IngestReport:
        """Check and store `items`. `reader`, the submitting account when it may not read
        everything (None: this node's own import), keeps the report from telling what the
        store holds beyond what it may read. `posted_to` is the collection the items were
        posted into (TAXII)."""
        in_input = {item["id"]: item for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)}
        readable = self.gate.readable(reader) if reader is not None else None
        resolver = _Resolver(in_input, self._sight(reader, readable))
        resolver.prefetch(ref for item in items if isinstance(item, dict) for _, ref in _references(item))
        report = IngestReport()
        seen: dict[tuple[str, int], tuple[str, int]] = {}  # key -> (content hash, position) of its first occurrence
        pending: list[tuple[ObjectOutcome, Version]] = []
        # Analysis goes in small batches (workers start sooner), writing in larger ones (each
        # transaction rewrites the index pages it touched), but in a few at least, so that
        # writing overlaps the analysis of what follows.
        write_every = min(self.write_batch_size, max(self.batch_size, len(items) // 4))
        done = 0
        repeats: list[tuple[ObjectOutcome, int]] = []  # exact repeats, with the position of the first
        for start, analyses in self._analyse_batches(items, resolver):
            for position, (outcome, version) in enumerate(analyses, start):
                outcome.source = source
                report.outcomes.append(outcome)
                if version is None:
                    continue
                if _first_occurrence(outcome, version, position, seen):
                    pending.append((outcome, version))
                elif outcome.status == Outcome.UNCHANGED:
                    repeats.append((outcome, seen[version.key][1]))
            done = start + len(analyses)
            if len(pending) >= write_every or done == len(items):
                self._store(pending, provenance, resolver, readable, posted_to)
                pending = []
                if progress:
                    progress(done, len(items))
        for outcome, first in repeats:
            if report.outcomes[first].status == Outcome.REJECTED:  # a repeat shares the first one's fate
                outcome.status, outcome.problems = Outcome.REJECTED, list(report.outcomes[first].problems)
        return report

    def _sight(self, reader: Principal | None, readable: Readable | None) -> Sight:
        if reader is None:
            return self.store.latest
        gate, objects = self.gate, self.store

        def sight(ids: Iterable[str]) -> dict[str, dict[str, Any]]:
            views = ((object_id, gate.view(reader, version)) for object_id, version in objects.latest_versions(ids, readable).items())
            return {object_id: view for object_id, view in views if view is not None}

        return sight

    def _store(
        self,
        pending: list[tuple[ObjectOutcome, Version]],
        provenance: Provenance,
        resolver: _Resolver,
        readable: Readable | None,
        posted_to: str | None,
    ) -> None:
        self._warn_dangling(pending, resolver)
        results = self.store.write([version for _, version in pending], provenance, posted_to=posted_to, reader=readable)
        for (outcome, version), written in zip(pending, results, strict=True):
            if not written.seen:
                # What the store holds under this key (or id) the submitter may not read:
                # "already here", "here with other content" or "someone else's" would answer
                # "have you seen this?". The answer is as for an object no one has, and what
                # was posted is not kept.
                if written.outcome != Outcome.UNCHANGED:
                    log.warning("%s posted %s, which it may not read: %s; not stored", provenance.source_org, version.id, written.outcome)
                outcome.status = Outcome.STORED
            elif written.outcome == Outcome.REFUSED:
                outcome.problems.append(Problem(version.id, "$", written.refusal or "refused"))
            elif written.outcome == Outcome.CONFLICT:
                outcome.problems.append(
                    Problem(
                        version.id,
                        "$",
                        f"the store already holds version {outcome.version} of {version.id} with different content: "
                        "partners who hold that version would never see a change made without a new 'modified'",
                    )
                )
            else:
                outcome.status = written.outcome

    def _analyse_batches(self, items: list[Any], resolver: _Resolver) -> Iterator[tuple[int, list[tuple[ObjectOutcome, Version | None]]]]:
        """(first position, analyses) per batch, in input order.

        Large inputs are analysed by a pool of forked processes while this one writes the
        batches before them: checking an object costs far more than storing it.
        """
        ranges = [(start, min(start + self.batch_size, len(items))) for start in range(0, len(items), self.batch_size)]
        if len(items) < PARALLEL_FROM or self.workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
            for start, end in ranges:
                yield start, [analyse(items[i], i, self.validator, resolver.get) for i in range(start, end)]
            return
        global _forked
        _forked = (items, resolver, self.validator, self.store.engine)
        # Keep the collector in the forked workers off the parsed input, so it is not copied page by page.
        gc.freeze()
        try:
            with multiprocessing.get_context("fork").Pool(self.workers, _start_worker) as pool:
                for (start, _), analyses in zip(ranges, pool.imap(_analyse_range, ranges), strict=True):
                    yield start, [_from_wire(items[i], entry) for i, entry in enumerate(analyses, start)]
        finally:
            _forked = None
            gc.unfreeze()

    def _warn_dangling(self, pending: list[tuple[ObjectOutcome, Version]], resolver: _Resolver) -> None:
        known = resolver.known({ref for _, version in pending for _, ref in version.references})
        for outcome, version in pending:
            for path, ref in version.references:
                if ref not in known:
                    outcome.problems.append(Problem(version.id, path, f"{ref} is neither in this input nor in the store", Severity.WARNING))


# Inputs at least this large are analysed in parallel; below it a pool costs more than it saves.
PARALLEL_FROM = 1500

# What forked analysis workers inherit from the importing process: the parsed input, its
# resolver and the compiled validator (set only while a pool runs).
_forked: tuple[list[Any], _Resolver, SpecValidator, Engine] | None = None


def _start_worker() -> None:
    assert _forked is not None  # set before the pool forked
    items, resolver, validator, parent_engine = _forked
    # The writing process is the one that must never wait: analysis fills the gaps it leaves.
    os.nice(19)
    # The parent's pooled connections belong to the parent: drop them unclosed; the pool
    # opens this process's own when a look-up needs one.
    parent_engine.dispose(close=False)


def _analyse_range(bounds: tuple[int, int]) -> list[tuple[Any, ...]]:
    """Analyses in a compact form for the trip back: plain tuples pickle several times
    faster than dataclasses, and the importing process has the objects already."""
    assert _forked is not None  # set before the pool forked
    items, resolver, validator, _ = _forked
    wire: list[tuple[Any, ...]] = []
    for position in range(*bounds):
        outcome, version = analyse(items[position], position, validator, resolver.get)
        derived = None
        if version is not None:
            derived = (
                version.modified_us,
                version.content_hash,
                version.marking_refs,
                version.tlp,
                version.observables,
                version.references,
                version.profiles,
            )
        wire.append((outcome.id, outcome.status, outcome.problems, outcome.version, derived))
    return wire


def _from_wire(item: dict[str, Any], entry: tuple[Any, ...]) -> tuple[ObjectOutcome, Version | None]:
    object_id, status, problems, stamp, derived = entry
    outcome = ObjectOutcome(object_id, status, problems, version=stamp)
    if derived is None:
        return outcome, None
    modified_us, content_hash, marking_refs, tlp, found, references, covering = derived
    return outcome, Version(item, modified_us, orjson.dumps(item).decode(), content_hash, marking_refs, tlp, found, references, covering)


def analyse(
    item: object, position: int, validator: SpecValidator, lookup: Callable[[str], dict[str, Any] | None]
) -> tuple[ObjectOutcome, Version | None]:
    """Check one candidate object and derive what the store keeps of it; nothing is written."""
    if not isinstance(item, dict):
        return _rejected(None, f"$[{position}]", f"expected a STIX object (a JSON object), got {type(item).__name__}"), None
    object_id = item.get("id") if isinstance(item.get("id"), str) else None
    if not isinstance(item.get("type"), str) or object_id is None:
        missing = "type" if not isinstance(item.get("type"), str) else "id"
        return _rejected(object_id, json_path(missing), f"object {position} has no string '{missing}'"), None
    spec_version = item.get("spec_version")
    if spec_version is not None and spec_version != "2.1":
        return _rejected(
            object_id,
            "$.spec_version",
            f"spec_version {spec_version!r} is not supported: this node takes STIX 2.1, and STIX 2.0 objects, which carry no spec_version",
        ), None

    oddity = unkeepable(item)
    if oddity is not None:
        return _rejected(object_id, *oddity), None
    problems = validator.validate(item)
    outcome = ObjectOutcome(object_id, Outcome.REJECTED, problems)
    if any(problem.severity == Severity.ERROR for problem in problems):
        return outcome, None  # the profiles read objects the schemas have shaped
    applying = profiles.applying_profiles(item, lookup)
    problems += profiles.check_object(item, lookup, applying)
    problems += _markup_warnings(item)
    if any(problem.severity == Severity.ERROR for problem in problems):
        return outcome, None
    try:
        stamp = item.get("modified") or item.get("created")
        modified_us = from_timestamp(stamp) if stamp else 0
    except (TypeError, ValueError) as error:
        outcome.problems.append(Problem(object_id, "$.modified", str(error)))
        return outcome, None
    outcome.version = stamp
    marking_refs = _marking_refs(item)
    return outcome, Version(
        obj=item,
        modified_us=modified_us,
        json=orjson.dumps(item).decode(),
        content_hash=hashlib.sha256(orjson.dumps(item, option=orjson.OPT_SORT_KEYS)).hexdigest(),
        marking_refs=marking_refs,
        tlp=tlp_of(marking_refs),
        observables=tuple((kind, value) for kind, value in observables.extract(item) if len(value) <= _MAX_OBSERVABLE_LENGTH),
        references=tuple(_references(item)),
        profiles=tuple(profile.name for profile in applying),
    )


def _first_occurrence(outcome: ObjectOutcome, version: Version, position: int, seen: dict[tuple[str, int], tuple[str, int]]) -> bool:
    """Whether this is the first time the input holds this version; repeats are unchanged or, when they differ, rejected."""
    first = seen.setdefault(version.key, (version.content_hash, position))
    if first[1] == position:
        return True
    if first[0] != version.content_hash:
        outcome.problems.append(
            Problem(
                version.id,
                "$",
                f"duplicate of object {first[1]} in this input ({version.id}, version {outcome.version}) with different content",
            )
        )
    else:
        outcome.status = Outcome.UNCHANGED
    return False


class _Resolver:
    """Finds referenced objects in the input first, then among what the submitter sees of the store."""

    def __init__(self, in_input: dict[str, dict[str, Any]], sight: Sight):
        self.in_input = in_input
        self.sight = sight
        self.from_store: dict[str, dict[str, Any] | None] = {}

    def get(self, object_id: str) -> dict[str, Any] | None:
        found = self.in_input.get(object_id)
        if found is not None:
            return found
        if object_id not in self.from_store:
            self.prefetch([object_id])
        return self.from_store[object_id]

    def prefetch(self, ids: Iterable[str]) -> None:
        """Look up at once what the input refers to outside itself (one query per few hundred ids, not one per id)."""
        wanted = {i for i in ids if i not in self.in_input and i not in self.from_store}
        if wanted:
            found = self.sight(wanted)
            self.from_store.update({i: found.get(i) for i in wanted})

    def known(self, ids: set[str]) -> set[str]:
        self.prefetch(ids)
        return {i for i in ids if i in self.in_input or self.from_store.get(i) is not None or tlp_of((i,)) is not None}


def _rejected(object_id: str | None, path: str, message: str) -> ObjectOutcome:
    return ObjectOutcome(object_id, Outcome.REJECTED, [Problem(object_id, path, message)])


def _marking_refs(obj: dict[str, Any]) -> tuple[str, ...]:
    refs = list(obj.get("object_marking_refs") or ())
    for granular in _granular(obj):
        ref = granular.get("marking_ref")
        if ref and ref not in refs:
            refs.append(ref)
    return tuple(refs)


def _references(obj: dict[str, Any]) -> Iterable[tuple[str, str]]:
    for name, value in obj.items():
        if name[-4:] == "_ref":
            if isinstance(value, str):
                yield f"$.{name}", value
        elif name[-5:] == "_refs" and isinstance(value, list):
            for index, ref in enumerate(value):
                if isinstance(ref, str):
                    yield f"$.{name}[{index}]", ref
    for index, granular in enumerate(_granular(obj)):
        ref = granular.get("marking_ref")
        if isinstance(ref, str):
            yield f"$.granular_markings[{index}].marking_ref", ref


def _granular(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The granular markings that are objects; anything else there is for validation to reject
    with its path, not for the reference scan to trip on (which would lose the whole input)."""
    found = obj.get("granular_markings")
    return [g for g in found if isinstance(g, dict)] if isinstance(found, list) else []


def _markup_warnings(obj: dict[str, Any]) -> list[Problem]:
    problems = []
    for name, value in obj.items():
        # The substring tests let the regular expression skip the ordinary long description.
        if isinstance(value, str) and ("<" in value or "script" in value.lower()) and _ACTIVE_MARKUP.search(value):
            problems.append(
                Problem(
                    obj.get("id"),
                    json_path(name),
                    "contains HTML or script; it is stored as text and never rendered as markup",
                    Severity.WARNING,
                )
            )
    return problems
