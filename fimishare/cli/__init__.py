"""The fimishare command line (`fimishare --help`): one module per area, each adding its commands to ``main``."""

from fimishare.cli import accounts, data, searching, service, taxii  # noqa: F401 (each registers its commands)
from fimishare.cli.base import main

__all__ = ["main"]
