"""The API roots and collections a new node starts with (`fimishare init`)."""

from __future__ import annotations

from fimishare.sharing.principals import EVERY_PARTNER, Grant
from fimishare.store.collections import Collections
from fimishare.store.layout import ApiRoot, NewCollection, create_layout
from fimishare.store.membership import CollectionFilter

EVERY_PARTNER_READS_AND_WRITES = (Grant(EVERY_PARTNER, can_read=True, can_write=True),)

DEFAULT_ROOTS = (
    ApiRoot(
        "fimi",
        "FIMI",
        "Foreign information manipulation and interference: incidents, campaigns, channels, narratives and DISARM techniques.",
    ),
    ApiRoot("cyber", "Cyber threats", "Cyber incidents, malware, intrusion sets, ATT&CK techniques and indicators."),
    ApiRoot("exercise", "Joint exercises", "Exercise data only: readers here see exercise-marked objects and nothing real.", exercise=True),
)

# Each root with one collection for the community of all partners.
DEFAULT_COLLECTIONS = (
    NewCollection(
        "fimi",
        "FIMI shared with EU and Japanese partners",
        alias="partners",
        filter=CollectionFilter(profiles=("fimi-incident",)),
        grants=EVERY_PARTNER_READS_AND_WRITES,
    ),
    NewCollection(
        "cyber",
        "Cyber threats shared with EU and Japanese partners",
        alias="partners",
        filter=CollectionFilter(profiles=("cyber-incident",)),
        grants=EVERY_PARTNER_READS_AND_WRITES,
    ),
    NewCollection(
        "exercise",
        "Joint EU-Japan exercise",
        alias="joint-exercise",
        filter=CollectionFilter(exercise=True),
        grants=EVERY_PARTNER_READS_AND_WRITES,
    ),
)


def create_default_layout(collections: Collections) -> None:
    """The default roots and collections, in one transaction; skipped once any root exists."""
    if collections.roots():
        return
    with collections.writing() as connection:
        create_layout(connection, DEFAULT_ROOTS, DEFAULT_COLLECTIONS)
