"""Every access decision: who may read what on this node, and what may leave it.

``Gate`` is what the rest of fimishare asks; ``SharingPolicy`` is the table it decides with.
"""

from .gate import AccessSource, Gate
from .policy import SharingPolicy
from .principals import EVERY_PARTNER, ROLES, Channel, Grant, Held, Holding, Principal, Recipient

__all__ = [
    "EVERY_PARTNER",
    "ROLES",
    "AccessSource",
    "Channel",
    "Gate",
    "Grant",
    "Held",
    "Holding",
    "Principal",
    "Recipient",
    "SharingPolicy",
]
