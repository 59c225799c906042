"""The gate: every access decision this node makes, on the way in and on the way out.

Every path that reads, serves, indexes, exports or syncs objects, and every path that takes
them in, asks the gate; nothing outside ``fimishare.sharing`` compares a role, builds a
``SharingPolicy`` or decides on a marking. The gate does no I/O of its own: what it needs
to know (this node's organisation, the marking-definitions and access classes the store
holds, and when they last changed) it asks of an ``AccessSource``, which the store is.

The policy it decides with is built again only when a marking-definition or an access
class was added; a call that decides about many objects (``views``, ``releases``) decides
all of them with the policy as it was when the call began.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from fimishare.stix import DEFAULT_CLASSIFICATION_LEVELS, Role, tlp_marking_definitions

from .access import AccessClass, Readable, is_reference
from .policy import SharingPolicy
from .principals import EVERY_PARTNER, Channel, Grant, Held, Principal, Recipient
from .redaction import parse_selector, redact

# Roles that create, update and delete objects; a viewer only reads.
WRITING_ROLES = frozenset({Role.ADMIN, Role.ANALYST, Role.SYNC})

EXERCISE_ROOT_REFUSAL = "this API root is for exercises: objects must carry an exercise marking"


H = TypeVar("H", bound=Held)


class AccessSource(Protocol):
    """What the gate reads of the store."""

    def node_organisation_id(self) -> str:
        """This node's own organisation."""

    def policy_epoch(self) -> tuple[int | None, int | None]:
        """Moves whenever a decision might change: (newest marking-definition, newest access class)."""

    def marking_definitions(self) -> Iterable[tuple[dict[str, Any], str]]:
        """Every marking-definition stored, as first stored, with the organisation that stored it."""

    def access_classes(self, after_id: int) -> Mapping[int, AccessClass]:
        """The access classes stored with an id above ``after_id``."""


@dataclass
class _State:
    """The policy and access classes as of one epoch, with what was worked out from them."""

    epoch: tuple[int | None, int | None]
    policy: SharingPolicy
    classes: dict[int, AccessClass]
    readable: dict[Principal, Readable] = field(default_factory=dict)
    reference: frozenset[int] | None = None


class Gate:
    def __init__(self, source: AccessSource, classification_levels: Sequence[str] = DEFAULT_CLASSIFICATION_LEVELS):
        self.source = source
        self.classification_levels = tuple(classification_levels)
        self._state: _State | None = None

    # -- reading on this node ---------------------------------------------------------

    def readable(self, principal: Principal) -> Readable:
        """The access classes ``principal`` may read, for filtering inside a query."""
        state = self._current()
        found = state.readable.get(principal)
        if found is None:
            only = frozenset(i for i, access in state.classes.items() if state.policy.may_read_class(principal, access))
            granular = frozenset(i for i in only if state.classes[i].granular)
            found = Readable(max(state.classes, default=0), None if len(only) == len(state.classes) else only, granular)
            if len(state.readable) > 10_000:
                state.readable.clear()
            state.readable[principal] = found
        return found

    def view(self, principal: Principal, holding: Held) -> dict[str, Any] | None:
        """The copy of the object ``principal`` may read (granular markings may redact it), or None."""
        return self._current().policy.view(principal, holding)

    def views(self, principal: Principal, holdings: Iterable[H]) -> Iterator[tuple[dict[str, Any], H]]:
        """(copy, holding) for each of ``holdings`` that ``principal`` may read, in order, lazily."""
        policy = self._current().policy
        for holding in holdings:
            copy = policy.view(principal, holding)
            if copy is not None:
                yield copy, holding

    # -- leaving this node --------------------------------------------------------------

    def releases(self, recipient: Recipient, holdings: Iterable[H], channel: Channel) -> Iterator[tuple[dict[str, Any], H]]:
        """(copy, holding) for each of ``holdings`` that may go to ``recipient`` over ``channel``, lazily."""
        policy = self._current().policy
        for holding in holdings:
            copy = policy.release(holding, recipient, channel)
            if copy is not None:
                yield copy, holding

    def explain(self, who: Principal | Recipient, holding: Held) -> str:
        """One line saying why ``who`` may or may not read or receive the object."""
        return self._current().policy.explain(who, holding)

    # -- what accounts may do -------------------------------------------------------------

    def may_submit(self, principal: Principal) -> bool:
        return principal.role in WRITING_ROLES

    def may_post_bulk(self, principal: Principal) -> bool:
        """Whether ``principal`` may post bodies up to the node's own limit (an administrator
        of this node loading data); every other account is held to what the TAXII roots take,
        whichever way it posts."""
        return principal.role == Role.ADMIN and principal.org_id == self.source.node_organisation_id()

    def collection_rights(self, principal: Principal, grants: Iterable[Grant], writable: bool) -> tuple[bool, bool]:
        """(can_read, can_write) of a TAXII collection with these grants.

        Accounts of this node's organisation read every collection; a partner's accounts
        read and write what its organisation (or every partner) was granted. Viewers never
        write, and no one writes a collection that is not writable.
        """
        if principal.org_id == self.source.node_organisation_id():
            can_read = can_write = True
        else:
            mine = [grant for grant in grants if grant.org_id in (principal.org_id, EVERY_PARTNER)]
            can_read, can_write = any(g.can_read for g in mine), any(g.can_write for g in mine)
        return can_read, can_write and writable and self.may_submit(principal)

    def may_delete(self, principal: Principal, source_orgs: Iterable[str]) -> bool:
        """Whether ``principal`` may take versions that came from ``source_orgs`` out of a collection:
        this node's accounts any, a partner's only those its own organisation added."""
        if not self.may_submit(principal):
            return False
        return principal.org_id == self.source.node_organisation_id() or all(org == principal.org_id for org in source_orgs)

    def refused_by_exercise_root(self, principal: Principal, items: Sequence[object]) -> dict[int, str]:
        """Positions of the items an exercise context may not take in, with the reason.

        An exercise root takes only exercise-marked data and the reference objects an
        exercise needs: real data posted there would otherwise reach real collections. The
        marking-definitions posted with the items count.
        """
        if not principal.exercise:
            return {}
        posted = {
            item["id"]: item
            for item in items
            if isinstance(item, dict) and item.get("type") == "marking-definition" and isinstance(item.get("id"), str)
        }
        policy = self._current().policy
        if posted:
            policy = policy.with_definitions(posted, principal.org_id)
        return {
            position: EXERCISE_ROOT_REFUSAL
            for position, item in enumerate(items)
            if isinstance(item, dict)
            and not policy.exercise_marked(item, principal.org_id)
            and not is_reference(item.get("type"), item.get("object_marking_refs") or ())
        }

    # -- the search index -------------------------------------------------------------------

    @staticmethod
    def indexed_copy(obj: dict[str, Any]) -> dict[str, Any]:
        """What the search index may hold of an object: nothing under a granular marking, so
        that no snippet or match shows a reader what the markings hide (its structure alone
        when nothing else can stay)."""
        selectors = [
            s for marking in obj.get("granular_markings") or () if isinstance(marking, dict) for s in marking.get("selectors") or ()
        ]
        if not selectors:
            return obj
        copy = redact(obj, [p for p in (parse_selector(s) for s in selectors) if p is not None])
        if copy is None:
            return {key: obj[key] for key in ("id", "type", "spec_version", "created", "modified") if key in obj}
        return {key: value for key, value in copy.items() if key != "granular_markings"}

    def reference_classes(self) -> frozenset[int]:
        """Access classes of public reference data (framework techniques, identities, marking-
        definitions): linking to them tells no reader anything the object's own class does not."""
        state = self._current()
        if state.reference is None:
            state.reference = frozenset(i for i, access in state.classes.items() if access.reference)
        return state.reference

    # -- the policy as of now ------------------------------------------------------------------

    def _current(self) -> _State:
        epoch = self.source.policy_epoch()
        state = self._state
        if state is not None and state.epoch == epoch:
            return state
        if state is None or state.epoch[0] != epoch[0]:
            definitions = {md["id"]: md for md in tlp_marking_definitions()}
            definers = {}
            for md, org in self.source.marking_definitions():
                definitions[md["id"]] = md
                definers[md["id"]] = org
            policy = SharingPolicy(self.source.node_organisation_id(), self.classification_levels, definitions, definers)
        else:
            policy = state.policy  # only access classes were added
        # A stored class never changes: only the new ones are read.
        classes: dict[int, AccessClass] = dict(state.classes) if state is not None else {}
        classes.update(self.source.access_classes(max(classes, default=0)))
        self._state = _State(epoch, policy, classes)
        return self._state
