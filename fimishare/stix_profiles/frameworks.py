"""Tell DISARM (FIMI) techniques from MITRE ATT&CK (cyber) techniques.

Both frameworks publish ``attack-pattern`` objects whose external reference has
``source_name`` "mitre-attack" (DISARM reuses ATT&CK's STIX layout), and their ids overlap:
ATT&CK for ICS uses T0800..T0891, DISARM T0002..T0155.007.  The technique id therefore does
not tell them apart; the creator does.  Objects without ``created_by_ref`` (some revoked ATT&CK
mobile techniques) fall back to the reference URL / source name.
"""

from __future__ import annotations

from typing import Any, Final, Literal, cast
from urllib.parse import urlsplit

DISARM_IDENTITY = "identity--f1a0f560-2d9e-4c5d-bf47-7e96e805de82"  # "DISARM Foundation"
MITRE_IDENTITY = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"  # "The MITRE Corporation"

DISARM: Final = "disarm"
ATTACK: Final = "attack"
Framework = Literal["disarm", "attack"]

CREATORS: dict[str, Framework] = {DISARM_IDENTITY: DISARM, MITRE_IDENTITY: ATTACK}

# "mitre-attack" is used by enterprise ATT&CK, by most mobile/ICS techniques and by DISARM
# techniques; older (mostly revoked) mobile and ICS techniques use the domain-specific names;
# DISARM's tactics (x-mitre-tactic, TA01..TA18) use "DISARM".
TECHNIQUE_SOURCE_NAMES = ("mitre-attack", "mitre-mobile-attack", "mitre-ics-attack", "DISARM")
_ATTACK_ONLY_SOURCE_NAMES = frozenset({"mitre-mobile-attack", "mitre-ics-attack"})

# DISARM red framework: phases and their tactics (DISARM framework v1.6, see REFERENCE.md).
DISARM_PHASES: dict[str, dict[str, Any]] = {
    "P01": {"name": "Plan", "tactics": ("TA01", "TA02", "TA13")},
    "P02": {"name": "Prepare", "tactics": ("TA05", "TA06", "TA07", "TA14", "TA15", "TA16")},
    "P03": {"name": "Execute", "tactics": ("TA08", "TA09", "TA10", "TA11", "TA17", "TA18")},
    "P04": {"name": "Assess", "tactics": ("TA12",)},
}
DISARM_TACTIC_PHASE: dict[str, str] = {tactic: phase for phase, info in DISARM_PHASES.items() for tactic in info["tactics"]}


def _external_references(obj: dict[str, Any]) -> list[dict[str, Any]]:
    refs = obj.get("external_references")
    if not isinstance(refs, list):
        return []
    return [ref for ref in refs if isinstance(ref, dict)]


def technique_id(obj: dict[str, Any]) -> str | None:
    """The framework id (T0002, T1566.001, TA05, ...) from the mitre-attack style reference.

    Works for techniques of both frameworks, ATT&CK tactics/mitigations and DISARM tactics.
    """
    refs = _external_references(obj)
    for source_name in TECHNIQUE_SOURCE_NAMES:  # prefer "mitre-attack"
        for ref in refs:
            if ref.get("source_name") == source_name and isinstance(ref.get("external_id"), str):
                return cast(str, ref["external_id"])
    return None


def _framework_from_references(obj: dict[str, Any]) -> Framework | None:
    for ref in _external_references(obj):
        url = ref.get("url")
        if isinstance(url, str):
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            if host == "attack.mitre.org":
                return ATTACK
            if host == "github.com" and parts.path.lower().startswith("/disarmfoundation/"):
                return DISARM
            if host.endswith("disarm.foundation"):
                return DISARM
        if ref.get("source_name") in _ATTACK_ONLY_SOURCE_NAMES:
            return ATTACK
    return None


def framework_of(obj: dict[str, Any] | None) -> Framework | None:
    """ "disarm", "attack" or None (unknown / not a framework object).

    The creator decides when it is one of the two framework publishers; otherwise (no or another
    creator) the reference URL decides; otherwise None.
    """
    if not isinstance(obj, dict):
        return None
    creator = obj.get("created_by_ref")
    if isinstance(creator, str) and creator in CREATORS:
        return CREATORS[creator]
    return _framework_from_references(obj)


def is_disarm_technique(obj: dict[str, Any] | None) -> bool:
    return isinstance(obj, dict) and obj.get("type") == "attack-pattern" and framework_of(obj) == DISARM


def is_attack_technique(obj: dict[str, Any] | None) -> bool:
    return isinstance(obj, dict) and obj.get("type") == "attack-pattern" and framework_of(obj) == ATTACK


def disarm_phase_of_tactic(tactic_id: str) -> str | None:
    """P01..P04 for a DISARM tactic id (TA01..TA18), None when unknown."""
    return DISARM_TACTIC_PHASE.get(tactic_id)
