"""The sharing policy: who may read what on this node, and what may leave it.

This module is the single place that decides. See docs/sharing-policy.md for the table it
implements; tests/test_sharing_policy.py checks that table cell by cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fimishare.stix import DEFAULT_CLASSIFICATION_LEVELS, TLP_1_0_LEVELS, TLP_2_0_EXTENSION, TLP_LEVEL_BY_ID, Tlp

from . import markings as mk
from .access import AccessClass, is_reference
from .principals import Channel, Held, Principal, Recipient
from .redaction import Path, parse_selector, redact

# The table compares TLP levels by rank: the highest of several applies.
CLEAR, GREEN, AMBER, AMBER_STRICT, RED = (level.rank for level in Tlp)
_LABELS = {level.rank: level.label for level in Tlp}
_TLP_2_0_RANKS = {level.value: level.rank for level in Tlp}

# object_marking_refs that need no further thought: TLP CLEAR/GREEN (2.0 and 1.0).
_FAST_IDS = frozenset(mid for mid, level in TLP_LEVEL_BY_ID.items() if level.rank <= GREEN)


@dataclass(frozen=True, slots=True)
class _Marking:
    """One marking-definition as the policy understands it."""

    tlp: int | None = None
    releasable_to: frozenset[str] | None = None
    classification: str | None = None
    exercise: str | None = None
    problem: str | None = None  # set when the marking is not understood: fail closed


_TLP_MARKINGS = {rank: _Marking(tlp=rank) for rank in _LABELS}
_NO_EFFECT = _Marking()


@dataclass(slots=True)
class _Effective:
    """Several markings combined: the most restrictive of each dimension applies."""

    tlp: int = GREEN  # no TLP marking at all reads as TLP:GREEN
    tlp_explicit: bool = False
    named: frozenset[str] | None = None  # intersection of all releasability lists
    level: int = 0
    exercise: bool = False
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class _Audience:
    kind: str  # "read" or "release"
    org: str
    user: str | None
    clearance: int
    exercise: bool


class SharingPolicy:
    """Decides who may read an object on this node and what may be released to whom."""

    def __init__(
        self,
        node_org: str,
        classification_levels: Sequence[str] = DEFAULT_CLASSIFICATION_LEVELS,
        marking_definitions: Mapping[str, dict[str, Any]] | None = None,
        definers: Mapping[str, str] | None = None,
    ) -> None:
        """``definers``: the organisation that defined each marking-definition (its first
        stored version's source). A definition marks only objects of that organisation or of
        this node: otherwise a partner who defined first an id that another organisation's
        objects already carry would decide who reads them."""
        if not isinstance(node_org, str) or not node_org.startswith("identity--"):
            raise ValueError(f"node_org must be an organisation identity id, got {node_org!r}")
        levels = tuple(classification_levels)
        if not levels or len(set(levels)) != len(levels) or not all(isinstance(x, str) and x for x in levels):
            raise ValueError("classification_levels must be non-empty, distinct, non-empty strings")
        self.node_org = node_org
        self.classification_levels = levels
        self._level_index = {name: i for i, name in enumerate(levels)}
        self.marking_definitions: Mapping[str, dict[str, Any]] = (
            mk.default_marking_definitions() if marking_definitions is None else marking_definitions
        )
        self.definers: Mapping[str, str] = definers or {}

    # ------------------------------------------------------------------ public interface

    def view(self, principal: Principal, holding: Held) -> dict[str, Any] | None:
        """The (possibly redacted) copy of the object ``principal`` may read, or None."""
        return self._apply(self._reader(principal), holding)

    def may_read(self, principal: Principal, holding: Held) -> bool:
        return self.view(principal, holding) is not None

    def release(self, holding: Held, recipient: Recipient, channel: Channel) -> dict[str, Any] | None:
        """The (possibly redacted) copy that may go to ``recipient`` over ``channel``, or None.

        The rules are the same for every channel; the channel names the path for the record.
        """
        if channel not in set(Channel):
            raise ValueError(f"unknown channel {channel!r}; expected one of {', '.join(Channel)}")
        return self._apply(self._recipient(recipient), holding)

    def may_read_class(self, principal: Principal, access: AccessClass) -> bool:
        """Whether ``principal`` may read objects of this class (granular markings may still
        redact parts of them: ``view`` decides that, object by object)."""
        return self._class_decision(self._reader(principal), access)

    def may_release_class(self, recipient: Recipient, access: AccessClass) -> bool:
        return self._class_decision(self._recipient(recipient), access)

    def exercise_marked(self, obj: dict[str, Any], source_org: str) -> bool:
        """Whether the object's markings make it exercise data, coming from ``source_org``."""
        return self._combine(obj.get("object_marking_refs") or (), source_org).exercise

    def with_definitions(self, definitions: Mapping[str, dict[str, Any]], defined_by: str) -> SharingPolicy:
        """This policy, reading ``definitions`` too (marking-definitions ``defined_by`` an
        organisation is about to store); those already defined keep their first definition."""
        new = {mid: d for mid, d in definitions.items() if mid not in self.marking_definitions}
        return SharingPolicy(
            self.node_org,
            self.classification_levels,
            {**self.marking_definitions, **new},
            {**self.definers, **dict.fromkeys(new, defined_by)},
        )

    def explain(self, who: Principal | Recipient, holding: Held) -> str:
        """One line saying why ``who`` may or may not read/receive ``holding``."""
        aud = self._reader(who) if isinstance(who, Principal) else self._recipient(who)
        verb = "read" if aud.kind == "read" else "release"
        obj = holding.obj
        oid = obj.get("id", "<no id>") if isinstance(obj, dict) else "<not an object>"
        subject = f"{aud.user} ({aud.org})" if aud.user else aud.org
        ok, why, detail = self._evaluate(aud, holding)
        head = f"{'allow' if ok else 'deny'} {verb} of {oid} to {subject}: {why}"
        return head + (f"; {detail}" if detail else "")

    # ------------------------------------------------------------------ audiences

    def _clearance(self, clearance: str | None) -> int:
        # None, or a level this node does not know, is the lowest level.
        return self._level_index.get(clearance, 0) if clearance is not None else 0

    def _reader(self, p: Principal) -> _Audience:
        return _Audience("read", p.org_id, p.user_id, self._clearance(p.clearance), p.exercise)

    def _recipient(self, r: Recipient) -> _Audience:
        return _Audience("release", r.org_id, None, self._clearance(r.clearance), r.exercise)

    # ------------------------------------------------------------------ markings

    def _resolve(self, mid: object) -> _Marking:
        if not isinstance(mid, str):
            return _Marking(problem=f"marking ref {mid!r} is not an id")
        known = TLP_LEVEL_BY_ID.get(mid)
        if known is not None:
            return _TLP_MARKINGS[known.rank]
        d = self.marking_definitions.get(mid)
        if d is None:
            return _Marking(problem=f"unknown marking {mid}")
        if not isinstance(d, dict) or d.get("type") != "marking-definition" or d.get("id") != mid:
            return _Marking(problem=f"marking {mid} does not resolve to its marking-definition")
        exts = d.get("extensions") or {}
        if not isinstance(exts, dict):
            return _Marking(problem=f"marking {mid} has malformed extensions")
        tlp = rel = cls = exe = None
        for ext_id, ext in exts.items():
            if not isinstance(ext, dict):
                return _Marking(problem=f"marking {mid} has a malformed extension {ext_id}")
            if ext_id == mk.FIMISHARE_MARKING_EXTENSION:
                extra = set(ext) - mk.FIMISHARE_MARKING_KEYS
                if extra:
                    return _Marking(problem=f"marking {mid} has fimishare properties not understood: {sorted(extra)}")
                if "releasable_to" in ext:
                    r = ext["releasable_to"]
                    if not isinstance(r, list) or not all(isinstance(x, str) for x in r):
                        return _Marking(problem=f"marking {mid} has a malformed releasable_to")
                    rel = frozenset(r)
                if "classification" in ext:
                    cls = ext["classification"]
                    if not isinstance(cls, str):
                        return _Marking(problem=f"marking {mid} has a malformed classification")
                if "exercise" in ext:
                    exe = ext["exercise"]
                    if not isinstance(exe, str):
                        return _Marking(problem=f"marking {mid} has a malformed exercise")
            elif ext_id == TLP_2_0_EXTENSION:
                value: Any = ext.get("tlp_2_0")  # any JSON value; only the known ones rank
                tlp = _TLP_2_0_RANKS.get(value)
                if tlp is None:
                    return _Marking(problem=f"marking {mid} has an unknown tlp_2_0 value")
            else:
                return _Marking(problem=f"marking {mid} uses extension {ext_id}, not understood")
        if tlp is None and rel is None and cls is None and exe is None:
            dtype = d.get("definition_type")
            definition = d.get("definition")
            if dtype == "statement" and exts == {}:
                return _NO_EFFECT  # copyright/terms statement: no access restriction
            if dtype == "tlp" and isinstance(definition, dict):
                name: Any = definition.get("tlp")  # any JSON value; only the known ones have a level
                level = TLP_1_0_LEVELS.get(name)
                tlp = level.rank if level is not None else None
            if tlp is None:
                return _Marking(problem=f"marking {mid} is not understood")
        return _Marking(tlp=tlp, releasable_to=rel, classification=cls, exercise=exe)

    def _combine(self, ids: Iterable[object], source_org: str) -> _Effective:
        """The markings ``ids`` of an object from ``source_org``, combined."""
        eff = _Effective()
        tlp = -1
        for mid in ids:
            definer = self.definers.get(mid) if isinstance(mid, str) else None
            if definer is not None and definer not in (source_org, self.node_org):
                eff.problem = f"marking {mid} was defined by {definer}, neither this node nor the object's source organisation"
                return eff
            m = self._resolve(mid)
            if m.problem:
                eff.problem = m.problem
                return eff
            if m.tlp is not None and m.tlp > tlp:
                tlp = m.tlp
            if m.releasable_to is not None:
                eff.named = m.releasable_to if eff.named is None else eff.named & m.releasable_to
            if m.classification is not None:
                idx = self._level_index.get(m.classification)
                if idx is None:
                    eff.problem = f"unknown classification level {m.classification!r}"
                    return eff
                eff.level = max(eff.level, idx)
            if m.exercise is not None:
                eff.exercise = True
        if tlp >= 0:
            eff.tlp, eff.tlp_explicit = tlp, True
        return eff

    # ------------------------------------------------------------------ the table

    def _class_decision(self, aud: _Audience, access: AccessClass) -> bool:
        origin = (access.source_org, access.created_by_ref, access.submitted_by)
        return self._decide(aud, origin, self._combine(access.object_marking_refs, access.source_org), access.reference)[0]

    def _decide(self, aud: _Audience, origin: tuple[str, str | None, str | None], eff: _Effective, reference: bool) -> tuple[bool, str]:
        """The table. ``origin`` is (source org, creator, submitting user) of the object."""
        if eff.problem:
            return False, f"{eff.problem} (fails closed)"
        if eff.exercise and not aud.exercise:
            return False, "exercise-marked, and this is not an exercise context"
        if aud.exercise and not eff.exercise and not reference:
            return False, "real (non-exercise) data, and this is an exercise context"
        if eff.level > aud.clearance:
            lv = self.classification_levels
            return False, f"classified {lv[eff.level]}, above clearance {lv[aud.clearance]}"
        tlp = eff.tlp
        tname = _LABELS[tlp] + ("" if eff.tlp_explicit else " (no TLP marking: default)")
        node = self.node_org
        source, creator, submitted_by = origin
        partner = source != node
        org, named = aud.org, eff.named
        if aud.kind == "read":
            user = aud.user
            if tlp >= AMBER_STRICT and partner and org not in (node, source):
                return False, f"{tname} received from partner {source}: only this node's and the source organisation read it"
            if submitted_by is not None and user == submitted_by:
                return True, f"{tname}: the submitting user"
            if tlp == RED:
                if named is not None and user in named:
                    return True, f"{tname}: individual named in a releasability marking"
                return False, f"{tname}: readable only by individuals named in a releasability marking and the submitting user"
            if tlp <= GREEN and named is None:
                return True, f"{tname}: readable by every principal"
            if org == node:
                return True, f"{tname}: principal of this node's organisation"
            if org == source:
                return True, f"{tname}: principal of the source organisation"
            if org == creator:
                return True, f"{tname}: principal of the creating organisation"
            if named is not None and org in named:
                return True, f"{tname}: organisation named in a releasability marking"
            if named is not None and user in named:
                return True, f"{tname}: individual named in a releasability marking"
            return False, (
                f"{tname}{' with releasability' if named is not None else ''}: organisation is not this node's, "
                "the source's or the creator's, and is not named in a releasability marking"
            )
        # release
        if tlp == RED:
            return False, f"{tname}: never released"
        if tlp == AMBER_STRICT and partner:
            return False, f"{tname} received from partner {source}: never passed on"
        if tlp >= AMBER:
            if creator is not None and org == creator:
                return True, f"{tname}: back to the creating organisation"
            if named is not None and org in named:
                return True, f"{tname}: organisation named in a releasability marking"
            return False, f"{tname}: released only to organisations named in a releasability marking or the creating organisation"
        if named is None:
            return True, f"{tname}: released to every partner"
        if org in (node, source, creator) or org in named:
            return True, f"{tname} with releasability: organisation is named (or is this node's, the source's or the creator's)"
        return False, f"{tname} with releasability: organisation is not named"

    # ------------------------------------------------------------------ applying it

    def _evaluate(self, aud: _Audience, h: Held) -> tuple[bool, str, str]:
        """(allowed, why, detail) at object level, without building the copy."""
        obj = h.obj
        if not isinstance(obj, dict):
            return False, "not a STIX object", ""
        refs = obj.get("object_marking_refs") or ()
        if not isinstance(refs, (list, tuple)):
            return False, "malformed object_marking_refs (fails closed)", ""
        ok, why = self._decide(aud, self._origin(h), self._combine(refs, h.source_org), is_reference(obj.get("type"), refs))
        detail = ""
        if ok and obj.get("granular_markings"):
            result = self._apply(aud, h)
            if result is None:
                return False, why, "withheld: granular markings deny content the object cannot be valid without"
            if result != obj:
                detail = "some properties redacted by granular markings"
        return ok, why, detail

    @staticmethod
    def _origin(h: Held) -> tuple[str, str | None, str | None]:
        return h.source_org, h.obj.get("created_by_ref"), h.submitted_by

    def _apply(self, aud: _Audience, h: Held) -> dict[str, Any] | None:
        obj = h.obj
        if not isinstance(obj, dict):
            return None
        refs = obj.get("object_marking_refs") or ()
        gms = obj.get("granular_markings")
        if not isinstance(refs, (list, tuple)):
            return None
        # Fast path: TLP CLEAR/GREEN only, no granular markings -> only the exercise rule.
        if not gms and all(r in _FAST_IDS for r in refs):
            if aud.exercise and not is_reference(obj.get("type"), refs):
                return None
            return dict(obj)
        ok, _ = self._decide(aud, self._origin(h), self._combine(refs, h.source_org), reference := is_reference(obj.get("type"), refs))
        if not ok:
            return None
        if not gms:
            return dict(obj)
        if not isinstance(gms, list):
            return None
        entries: list[tuple[str, list[Path | None]]] = []
        for gm in gms:
            if not isinstance(gm, dict) or not isinstance(gm.get("selectors"), list):
                return None
            mref = gm.get("marking_ref")
            if mref is None:
                continue  # a `lang` granular marking restricts nothing
            if self._combine([mref], h.source_org).problem:
                return None  # unknown marking anywhere: the whole object fails closed
            entries.append((mref, [parse_selector(s) for s in gm["selectors"]]))
        paths = {p for _, sels in entries for p in sels if p is not None}
        denied: list[Path] = []
        cache: dict[frozenset[str], bool] = {}
        for path in paths:
            covering = frozenset(mref for mref, sels in entries if any(s is not None and s == path[: len(s)] for s in sels))
            allowed = cache.get(covering)
            if allowed is None:
                allowed = self._decide(aud, self._origin(h), self._combine([*refs, *covering], h.source_org), reference)[0]
                cache[covering] = allowed
            if not allowed:
                denied.append(path)
        if not denied:
            return dict(obj)
        return redact(obj, denied)
