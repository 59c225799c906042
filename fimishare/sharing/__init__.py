"""Sharing policy: who may see what on this node, and what may leave it."""
from .policy import DEFAULT_CLASSIFICATION_LEVELS, SharingPolicy
from .principals import CHANNELS, ROLES, Holding, Principal, Recipient

__all__ = ["CHANNELS", "DEFAULT_CLASSIFICATION_LEVELS", "ROLES", "Holding", "Principal", "Recipient", "SharingPolicy"]
