"""The API roots and collections a new node starts with (`fimishare init`)."""
from __future__ import annotations

from fimishare.store.collections import EVERY_PARTNER, CollectionFilter, Collections, Grant

EVERY_PARTNER_READS_AND_WRITES = (Grant(EVERY_PARTNER, can_read=True, can_write=True),)

# (root name, root title, root description, exercise, collection alias, collection title, filter)
DEFAULT_LAYOUT = (
    ("fimi", "FIMI", "Foreign information manipulation and interference: incidents, campaigns, channels, narratives "
     "and DISARM techniques.", False, "partners", "FIMI shared with EU and Japanese partners", CollectionFilter(profiles=("fimi-incident",))),
    ("cyber", "Cyber threats", "Cyber incidents, malware, intrusion sets, ATT&CK techniques and indicators.", False,
     "partners", "Cyber threats shared with EU and Japanese partners", CollectionFilter(profiles=("cyber-incident",))),
    ("exercise", "Joint exercises", "Exercise data only: readers here see exercise-marked objects and nothing real.", True,
     "joint-exercise", "Joint EU-Japan exercise", CollectionFilter(exercise=True)),
)


def create_default_layout(collections: Collections) -> None:
    """Each root with one collection for the community of all partners; skipped once any root exists."""
    if collections.roots():
        return
    for name, title, description, exercise, alias, collection_title, wanted in DEFAULT_LAYOUT:
        collections.add_root(name, title=title, description=description, exercise=exercise)
        collections.add(name, title=collection_title, alias=alias, filter=wanted, grants=EVERY_PARTNER_READS_AND_WRITES)
