"""Property test of authority with a hostile partner (issue 12).

Three organisations post arbitrary sequences through the ingest pipeline, as the API and
TAXII do (``reader=`` the posting account): EU (this node's), JP and "Rogue", two analysts
each. They post new objects with ids from a small pool (so that they collide), new versions
of those ids (new text, RED, CLEAR, AMBER, a releasability marking, ``revoked``), exact
copies of what the store holds (readable to them or not), copies with other content at the
same ``modified`` (conflicts), releasability marking-definitions and their "redefinitions",
and second "versions" of the TLP definitions; now and then several of these in one call.

A model written from docs/sharing-policy.md ("Authority", and the table through the oracle
of tests/test_sharing_properties.py) says what the store must hold and what each poster is
told. After every post it is checked that

- the report answers each object as the model does: a version from an organisation that
  does not hold the id is never stored; a refusal (or a conflict) is given only when the
  poster reads some version of the id (of that version, for a conflict), and otherwise the
  answer is "stored" and nothing is kept; "unchanged" only for a version the poster reads
  (or a repeat within one input); no problem names content or an id the poster may not read;
- the store holds exactly the versions the model does, each from the organisation that holds
  its id, every marking-definition defined once and the TLP ones as OASIS publishes them;
- every principal's view of every id (``Gate.views`` of all versions, and the newest version
  of the access classes it reads, as the API and TAXII query it) is what the oracle says;
- a post of Rogue's changes nothing that EU's and JP's analysts read of the objects EU and
  JP hold, not even by defining first a marking id their objects carry.

The model never calls fimishare's authority or store logic.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from support.services import DATABASE_KINDS, new_database
from test_sharing_properties import TLP_IDS, oracle

from fimishare import stix
from fimishare.config import Settings
from fimishare.ingest.reference import add_organisation
from fimishare.node import Node, initialise
from fimishare.sharing.markings import FIMISHARE_MARKING_EXTENSION, fimishare_marking_definition
from fimishare.stix import EntryPath, Role
from fimishare.store.objects import Provenance, StoredVersion

PASSWORD = "authority-properties-password"
ACCOUNTS = ("eu-1", "eu-2", "jp-1", "jp-2", "rogue-1", "rogue-2")
ORG_OF_ACCOUNT = {"eu": "EU", "jp": "JP", "rogue": "Rogue"}

CAMPAIGNS = [f"campaign--a0000000-0000-4000-8000-00000000000{i}" for i in range(1, 4)]
MARKINGS = [f"marking-definition--b0000000-0000-4000-8000-00000000000{i}" for i in range(1, 3)]
# The pool of object ids (NewObject.slot, NewVersion.slot): three campaigns and JP's identity (which this node holds).
SLOTS = ("campaign-1", "campaign-2", "campaign-3", "jp-identity")
CREATED = "2030-01-01T00:00:00.000Z"
TLPS = {
    None: None,
    "clear": stix.TLP_CLEAR,
    "green": stix.TLP_GREEN,
    "amber": stix.TLP_AMBER,
    "amber+strict": stix.TLP_AMBER_STRICT,
    "red": stix.TLP_RED,
}
PUBLISHED = {definition["id"]: definition for definition in stix.tlp_marking_definitions()}

# What the report says, by a phrase of the message (fimishare/sharing/authority.py, pipeline.py).
PHRASES = {
    "tlp": "only as OASIS publishes it",
    "never-versioned": "never versioned",
    "owner": "belongs to another organisation",
    "conflict": "with different content: partners",
    "duplicate": "in this input",
}


def stamp(minutes: int, base: str = CREATED) -> str:
    when = datetime.fromisoformat(base.replace("Z", "+00:00")) + timedelta(minutes=minutes)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def moment(obj: dict) -> datetime:
    return datetime.fromisoformat((obj.get("modified") or obj["created"]).replace("Z", "+00:00"))


def key_of(obj: dict) -> tuple[str, datetime]:
    return obj["id"], moment(obj)


# ------------------------------------------------------------------------------ what is posted
# Acts are abstract (printable, independent of the store); `Machine._build` turns each into an
# object against the model's state: "a new version" of what the model holds, "a copy" of one
# of the versions it holds.


@dataclass(frozen=True)
class NewObject:
    slot: int  # SLOTS
    minute: int
    tlp: str | None
    rel: int | None  # a MARKINGS id among object_marking_refs (defined or not)
    creator: str | None  # created_by_ref: an organisation's name


@dataclass(frozen=True)
class NewVersion:
    slot: int
    step: int  # minutes after the newest version the store holds
    change: str  # text, red, clear, amber, rel, revoke


@dataclass(frozen=True)
class Copy:
    pick: int  # of the versions the model holds, sorted


@dataclass(frozen=True)
class Conflict:
    pick: int
    change: str  # text, red, clear (markings only on objects)


@dataclass(frozen=True)
class DefineMarking:
    slot: int  # MARKINGS
    named: tuple[str, ...]  # organisation names, or "jp-2" for that analyst alone
    minute: int


@dataclass(frozen=True)
class RedefineMarking:
    slot: int
    widen: bool  # releasable to Rogue as well; otherwise renamed


@dataclass(frozen=True)
class TlpDefinition:
    level: str
    variant: str  # published, later, renamed, cleared


acts = st.one_of(
    st.builds(
        NewObject,
        st.integers(0, len(SLOTS) - 1),
        st.integers(0, 2),
        st.sampled_from(list(TLPS)),
        st.one_of(st.none(), st.integers(0, len(MARKINGS) - 1)),
        st.sampled_from([None, "EU", "JP", "Rogue"]),
    ),
    st.builds(
        NewVersion,
        st.integers(0, len(SLOTS) - 1),
        st.integers(1, 2),
        st.sampled_from(["text", "red", "clear", "amber", "rel", "revoke"]),
    ),
    st.builds(Copy, st.integers(0, 30)),
    st.builds(Conflict, st.integers(0, 30), st.sampled_from(["text", "red", "clear"])),
    st.builds(
        DefineMarking,
        st.integers(0, len(MARKINGS) - 1),
        st.sampled_from([("JP",), ("Rogue",), ("JP", "Rogue"), ("jp-2",)]),
        st.integers(0, 1),
    ),
    st.builds(RedefineMarking, st.integers(0, len(MARKINGS) - 1), st.booleans()),
    st.builds(TlpDefinition, st.sampled_from([t.value for t in stix.Tlp]), st.sampled_from(["published", "later", "renamed", "cleared"])),
)
# Mostly one act a call; now and then several mixed in one.
posts = st.one_of(st.lists(acts, min_size=1, max_size=1), st.lists(acts, min_size=2, max_size=4))


# ------------------------------------------------------------------------------ the node
@dataclass(frozen=True)
class Stored:
    """One version the model holds, with its provenance."""

    obj: dict
    source_org: str
    submitted_by: str | None


class Template:
    """An initialised node (EU, JP and Rogue, two analysts each), built once and copied for
    every example: each example starts from the same store."""

    def __init__(self, kind: str, tmp_path: Path):
        self.kind, self.tmp_path = kind, tmp_path
        self.url, self._drop = new_database(kind, tmp_path)
        node = Node(self._settings(self.url))
        try:
            eu, _, report = initialise(node, "EU")
            assert report.ok, report.errors()
            directory = node.store.directory
            jp, _ = add_organisation(directory, node.pipeline, "JP")
            rogue, _ = add_organisation(directory, node.pipeline, "Rogue")
            self.orgs = {"EU": eu.id, "JP": jp.id, "Rogue": rogue.id}
            self.principals = {
                name: directory.add_account(
                    name, org=self.orgs[ORG_OF_ACCOUNT[name.split("-")[0]]], role=Role.ANALYST, password=PASSWORD
                ).principal()
                for name in ACCOUNTS
            }
            # What initialise and add_organisation stored of the pool: JP's identity, and the TLP definitions.
            self.initial = {
                object_id: [Stored(v.obj, v.source_org, v.submitted_by) for v in node.store.objects.versions(object_id)]
                for object_id in [jp.id, *PUBLISHED]
            }
        finally:
            node.close()

    def _settings(self, url: str) -> Settings:
        home = Path(tempfile.mkdtemp(dir=self.tmp_path)) / "home"
        home.mkdir()
        return Settings.from_env({"FIMISHARE_HOME": str(home), "FIMISHARE_DATABASE_URL": url})

    def copy(self) -> tuple[Node, Callable[[], None]]:
        """A node on a fresh copy of the template's store, and what drops it."""
        if self.kind == "sqlite":
            path = Path(tempfile.mkdtemp(dir=self.tmp_path)) / "store.db"
            source, target = sqlite3.connect(self.url.removeprefix("sqlite:///")), sqlite3.connect(path)
            try:
                source.backup(target)
            finally:
                source.close()
                target.close()
            return Node(self._settings(f"sqlite:///{path}")), lambda: shutil.rmtree(path.parent, ignore_errors=True)
        from sqlalchemy.engine import make_url

        url, drop = new_database("postgresql", self.tmp_path, template=make_url(self.url).database)
        return Node(self._settings(url)), drop

    def drop(self) -> None:
        self._drop()


# ------------------------------------------------------------------------------ the machine
class Machine(RuleBasedStateMachine):
    template: Template  # set by the test

    def __init__(self) -> None:
        super().__init__()
        t = self.template
        self.node, self._drop = t.copy()
        self.orgs, self.principals = t.orgs, t.principals
        self.org_names = {org: name for name, org in self.orgs.items()}
        self.eu = self.orgs["EU"]
        self.ids = [*CAMPAIGNS, self.orgs["JP"], *MARKINGS, *PUBLISHED]
        # The model: the versions of each id in the order they were stored (the first one's
        # organisation holds the id), and a counter that makes every text unique.
        self.versions: dict[str, list[Stored]] = {object_id: list(found) for object_id, found in t.initial.items()}
        self.texts = 0
        self.views: dict[tuple[str, str], list[dict]] | None = None  # what each account read after the last step
        self.last: str | None = None  # the organisation that posted last

    def teardown(self) -> None:
        self.node.close()
        self._drop()

    # -- the model ------------------------------------------------------------------------

    def _text(self) -> str:
        self.texts += 1
        return f"text-{self.texts:04d}"  # none is a part of another

    def _holder(self, object_id: str) -> str | None:
        found = self.versions.get(object_id)
        return found[0].source_org if found else None

    def _definitions(self) -> dict[str, dict]:
        """Marking-definitions as the policy reads them: the first stored of each id."""
        return {mid: self.versions[mid][0].obj for mid in MARKINGS if self.versions.get(mid)}

    def _reads(self, account: str, version: Stored, definitions: dict[str, dict]) -> bool:
        """The oracle of tests/test_sharing_properties.py, on the markings as defined now."""
        principal = self.principals[account]
        specs = []
        for ref in version.obj.get("object_marking_refs") or ():
            if ref in TLP_IDS:
                specs.append(("tlp", ref))
            elif ref in definitions and self.versions[ref][0].source_org in (version.source_org, self.eu):
                # A definition marks only objects of the organisation that defined it, or of this node's.
                specs.append(("rel", frozenset(definitions[ref]["extensions"][FIMISHARE_MARKING_EXTENSION]["releasable_to"])))
            else:
                specs.append(("unknown",))
        obj = version.obj
        return oracle(
            "read",
            principal.org_id,
            principal.user_id,
            None,
            False,
            specs,
            obj["type"],
            specs,
            version.source_org,
            obj.get("created_by_ref"),
            version.submitted_by,
            node=self.eu,
        )

    def _readable(self, account: str, object_id: str, definitions: dict[str, dict]) -> list[Stored]:
        """What `account` reads of `object_id`, oldest (by modified) first."""
        found = sorted(self.versions.get(object_id, ()), key=lambda v: moment(v.obj))
        return [v for v in found if self._reads(account, v, definitions)]

    def _judge(self, account: str, items: list[dict]) -> tuple[list[tuple[str, str | None]], list[Stored]]:
        """Per item (status, problem), and the versions the store keeps, from the rules of
        docs/sharing-policy.md ("Authority") on the model as it was before the call."""
        principal = self.principals[account]
        org = principal.org_id
        definitions = self._definitions()
        first: dict[tuple[str, datetime], tuple[dict, int]] = {}
        answers: list[tuple[str, str | None]] = []
        kept: list[Stored] = []
        for position, obj in enumerate(items):
            key = key_of(obj)
            earlier, at = first.setdefault(key, (obj, position))
            if at != position:  # a repeat within the input: judged against the first, and shares a refusal
                if earlier != obj:
                    answers.append(("rejected", "duplicate"))
                else:
                    answers.append(answers[at] if answers[at][0] == "rejected" else ("unchanged", None))
                continue
            earlier_here = [v for v in kept if v.obj["id"] == obj["id"]]  # stored by this same call, so known to the poster
            held = self.versions.get(obj["id"], []) + earlier_here
            readable = [v for v in self.versions.get(obj["id"], []) if self._reads(account, v, definitions)] + earlier_here
            refusal = None
            if obj["id"] in PUBLISHED and obj != PUBLISHED[obj["id"]]:
                refusal = "tlp"
            elif held and not any(v.obj == obj for v in readable):
                if obj["type"] == "marking-definition":
                    refusal = "never-versioned"
                elif held[0].source_org != org:
                    refusal = "owner"
            if refusal is not None:
                # Refused, but told only to a poster who reads some version of the id.
                answers.append(("rejected", refusal) if readable else ("stored", None))
                continue
            same = next((v for v in held if key_of(v.obj) == key), None)
            if same is None:
                answers.append(("stored", None))
                kept.append(Stored(obj, org, principal.user_id))
            elif not self._reads(account, same, definitions):
                answers.append(("stored", None))  # as for a new object; nothing is kept
            else:
                answers.append(("unchanged", None) if same.obj == obj else ("rejected", "conflict"))
        return answers, kept

    def _dangling(self, items: list[dict]) -> list[set[str]]:
        """Per item, the marking ids a warning says are neither in the input nor in the store
        (only for the first occurrence of each version: repeats are not looked at again)."""
        in_input = {item["id"] for item in items}
        defined = self._definitions()
        warned: list[set[str]] = []
        seen: set[tuple[str, datetime]] = set()
        for item in items:
            key = key_of(item)
            refs = item.get("object_marking_refs") or ()
            first = key not in seen
            seen.add(key)
            warned.append({r for r in refs if first and r not in TLP_IDS and r not in in_input and r not in defined})
        return warned

    # -- building what is posted --------------------------------------------------------------

    def _object_id(self, slot: int) -> str:
        return CAMPAIGNS[slot] if slot < len(CAMPAIGNS) else self.orgs["JP"]

    def _newest(self, object_id: str) -> dict | None:
        found = self.versions.get(object_id)
        return max((v.obj for v in found), key=moment) if found else None

    def _fresh(self, object_id: str, minute: int) -> dict:
        if object_id == self.orgs["JP"]:
            created = self.versions[object_id][0].obj["created"]
            return {
                "type": "identity",
                "spec_version": "2.1",
                "id": object_id,
                "created": created,
                "modified": stamp(minute),
                "name": self._text(),
                "identity_class": "organization",
            }
        return {
            "type": "campaign",
            "spec_version": "2.1",
            "id": object_id,
            "created": CREATED,
            "modified": stamp(minute),
            "name": self._text(),
        }

    @staticmethod
    def _marked(obj: dict, tlp: str | None, rel: int | None) -> dict:
        obj = {k: v for k, v in obj.items() if k != "object_marking_refs"}
        refs = [ref for ref in (TLPS[tlp], MARKINGS[rel] if rel is not None else None) if ref]
        if refs:
            obj["object_marking_refs"] = refs
        return obj

    def _marking(self, slot: int, named: tuple[str, ...], created: str) -> dict:
        ids = [self.principals[n].user_id if n in self.principals else self.orgs[n] for n in named]
        return fimishare_marking_definition(f"REL {self._text()}", releasable_to=ids, id=MARKINGS[slot], created=created)

    def _pick(self, pick: int) -> dict:
        every = sorted((v.obj for found in self.versions.values() for v in found), key=lambda o: (o["id"], moment(o)))
        return every[pick % len(every)]

    def _build(self, act: object) -> dict:
        if isinstance(act, NewObject):
            obj = self._marked(self._fresh(self._object_id(act.slot), act.minute), act.tlp, act.rel)
            if act.creator is not None:
                obj["created_by_ref"] = self.orgs[act.creator]
            return obj
        if isinstance(act, NewVersion):
            object_id = self._object_id(act.slot)
            base = self._newest(object_id) or self._fresh(object_id, 0)
            obj = {**base, "modified": stamp(act.step, base["modified"]), "name": self._text()}
            markings = list(obj.get("object_marking_refs") or ())
            if act.change in ("red", "clear", "amber"):
                obj = self._marked(obj, act.change, None)
            elif act.change == "rel":
                obj["object_marking_refs"] = [*dict.fromkeys([stix.TLP_AMBER, *markings, MARKINGS[0]])]
            elif act.change == "revoke":
                obj["revoked"] = True
            return obj
        if isinstance(act, Copy):
            return json.loads(json.dumps(self._pick(act.pick)))
        if isinstance(act, Conflict):
            obj = json.loads(json.dumps(self._pick(act.pick)))
            if act.change == "text" or obj["type"] == "marking-definition":
                obj["name"] = self._text()
            else:
                obj = self._marked(obj, act.change, None)
            return obj
        if isinstance(act, DefineMarking):
            return self._marking(act.slot, act.named, stamp(act.minute))
        if isinstance(act, RedefineMarking):
            defined = self._definitions().get(MARKINGS[act.slot])
            if defined is None:
                return self._marking(act.slot, ("JP",), CREATED)
            obj = json.loads(json.dumps(defined))
            obj["created"] = stamp(60 * 24, defined["created"])
            if act.widen:
                extension = obj["extensions"][FIMISHARE_MARKING_EXTENSION]
                extension["releasable_to"] = [*dict.fromkeys([*extension["releasable_to"], self.orgs["JP"], self.orgs["Rogue"]])]
            else:
                obj["name"] = self._text()
            return obj
        assert isinstance(act, TlpDefinition)
        obj = stix.tlp_marking_definition(act.level)
        if act.variant == "later":
            obj["created"] = stamp(1, obj["created"])
        elif act.variant == "renamed":
            obj["name"] = self._text()
        elif act.variant == "cleared":
            obj["extensions"] = stix.tlp_marking_definition("clear" if act.level != "clear" else "red")["extensions"]
        return obj

    # -- the rule -----------------------------------------------------------------------------

    @rule(account=st.sampled_from(ACCOUNTS), plan=posts)
    def post(self, account: str, plan: list) -> None:
        items = [self._build(act) for act in plan]
        principal = self.principals[account]
        note(f"{account} ({self.org_names[principal.org_id]}) posts {json.dumps(items)}")
        definitions = self._definitions()
        hidden = [
            v
            for object_id in self.ids
            for v in self.versions.get(object_id, ())
            if not self._reads(account, v, definitions) and v.obj not in items
        ]
        expected, kept = self._judge(account, items)
        dangling = self._dangling(items)

        report = self.node.pipeline.ingest_objects(items, Provenance(principal.org_id, EntryPath.API, principal.user_id), reader=principal)

        told = [(outcome.status, sorted(f"{p.severity}: {p.path}: {p.message}" for p in outcome.problems)) for outcome in report.outcomes]
        note(f"told {told}")
        assert [o.id for o in report.outcomes] == [item["id"] for item in items]
        for position, (outcome, (status, problem), warned) in enumerate(zip(report.outcomes, expected, dangling, strict=True)):
            where = f"item {position} ({items[position]['id']})"
            assert outcome.status == status, f"{where}: told {outcome.status!r}, the model says {status!r}: {told[position]}"
            errors = [p.message for p in outcome.problems if p.severity == stix.Severity.ERROR]
            warnings = [p for p in outcome.problems if p.severity == stix.Severity.WARNING]
            if problem is None:
                assert errors == [], f"{where}: {errors}"
            else:
                assert len(errors) == 1 and PHRASES[problem] in errors[0], f"{where}: expected {problem!r}, told {errors}"
            assert {p.message.split(" ")[0] for p in warnings} == warned, f"{where}: warnings {[p.message for p in warnings]}"
            assert all("neither in this input nor in the store" in p.message for p in warnings), f"{where}: {warnings}"
            for p in outcome.problems:
                for version in hidden:
                    assert version.obj["name"] not in p.message, f"{where} names hidden content: {p.message}"
                    if version.obj["id"] not in {item["id"] for item in items}:
                        assert version.obj["id"] not in p.message, f"{where} names a hidden id: {p.message}"

        for version in kept:
            self.versions.setdefault(version.obj["id"], []).append(version)
        self.last = principal.org_id

    # -- invariants ---------------------------------------------------------------------------

    @invariant()
    def the_store_and_every_view_are_as_the_model_says(self) -> None:
        stored = {object_id: self.node.store.objects.versions(object_id) for object_id in self.ids}
        self._check_the_store(stored)
        views = self._check_the_views(stored)
        previous, self.views = self.views, views
        if previous is None or self.last != self.orgs["Rogue"]:
            return
        # A post of Rogue's changes nothing EU and JP read of the ids EU and JP hold, not even
        # by defining first a marking id their objects carry.
        for account in ACCOUNTS:
            if account.startswith("rogue"):
                continue
            for object_id in self.ids:
                if self._holder(object_id) in (None, self.orgs["Rogue"]):
                    continue
                before, after = previous[account, object_id], views[account, object_id]
                assert after == before, f"Rogue's post changed what {account} reads of {object_id}: {before} -> {after}"

    def _check_the_store(self, stored: dict[str, list[StoredVersion]]) -> None:
        for object_id, versions in stored.items():
            found = [(v.obj, v.source_org, v.submitted_by) for v in versions]
            wanted = [(v.obj, v.source_org, v.submitted_by) for v in sorted(self.versions.get(object_id, ()), key=lambda v: moment(v.obj))]
            assert found == wanted, f"{object_id}: the store holds {found}, the model {wanted}"
            # Independently of the model: one holder per id, one definition per marking.
            if versions:
                holder = min(versions, key=lambda v: v.date_added_us).source_org
                assert {v.source_org for v in versions} == {holder}, f"{object_id} has versions from several organisations"
            if object_id.startswith("marking-definition--"):
                assert len(versions) <= 1, f"{object_id} is defined {len(versions)} times"
            if object_id in PUBLISHED:
                assert [v.obj for v in versions] == [PUBLISHED[object_id]]

    def _check_the_views(self, stored: dict[str, list[StoredVersion]]) -> dict[tuple[str, str], list[dict]]:
        """What each account reads of each id: all versions through the gate, and the newest
        of the access classes it reads as a query finds it (the API, TAXII), against the oracle."""
        definitions = self._definitions()
        gate, objects = self.node.gate, self.node.store.objects
        every = [v for versions in stored.values() for v in versions]
        views: dict[tuple[str, str], list[dict]] = {}
        for account, principal in self.principals.items():
            read: dict[str, list[dict]] = {object_id: [] for object_id in self.ids}
            for copy, version in gate.views(principal, every):
                read[version.obj["id"]].append(copy)
            newest = objects.latest_versions(self.ids, readable=gate.readable(principal))
            for object_id in self.ids:
                wanted = [v.obj for v in self._readable(account, object_id, definitions)]
                assert read[object_id] == wanted, f"{account} reads {read[object_id]} of {object_id}; the oracle says {wanted}"
                latest = newest.get(object_id)
                assert (latest.obj if latest else None) == (wanted[-1] if wanted else None), (
                    f"{account}: the newest version of {object_id} a query finds is {latest and latest.obj}, the oracle says "
                    f"{wanted[-1] if wanted else None}"
                )
                views[account, object_id] = read[object_id]
        return views


SETTINGS = {
    "sqlite": settings(
        max_examples=80, stateful_step_count=12, deadline=None, database=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
    ),
    "postgresql": settings(
        max_examples=25, stateful_step_count=12, deadline=None, database=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
    ),
}


@pytest.mark.parametrize("kind", DATABASE_KINDS)
def test_authority_and_every_view_hold_against_a_hostile_partner(kind, tmp_path):
    template = Template(kind, tmp_path)
    try:
        run_state_machine_as_test(type("AuthorityMachine", (Machine,), {"template": template}), settings=SETTINGS[kind])
    finally:
        template.drop()


def test_a_marking_definition_is_defined_once_also_within_one_post(node):
    directory = node.store.directory
    jp, _ = add_organisation(directory, node.pipeline, "JP")
    rogue, _ = add_organisation(directory, node.pipeline, "Rogue")
    first = fimishare_marking_definition("REL TO JP", releasable_to=[jp.id], id=MARKINGS[0], created=CREATED)
    second = fimishare_marking_definition("REL TO ROGUE", releasable_to=[rogue.id], id=MARKINGS[0], created=stamp(60))
    report = node.pipeline.ingest_objects([first, second], Provenance(rogue.id, EntryPath.API))
    assert [outcome.status for outcome in report.outcomes] == ["stored", "rejected"]
    assert [version.obj for version in node.store.objects.versions(MARKINGS[0])] == [first]
