"""The command group every command joins, and what the commands share."""

from __future__ import annotations

import click

from fimishare.config import Settings
from fimishare.ingest.pipeline import IngestReport
from fimishare.node import Node
from fimishare.store import NotInitialised


def open_node() -> Node:
    node = Node(Settings.from_env())
    try:
        node.store.require_schema()
    except NotInitialised as error:
        raise click.ClickException(str(error)) from None
    return node


@click.group()
@click.version_option(package_name="fimishare")
def main() -> None:
    """fimishare: share FIMI, hybrid-threat and cyber intelligence between partners over STIX 2.1 and TAXII 2.1.

    Configured from the environment: FIMISHARE_HOME (default ./var), FIMISHARE_DATABASE_URL
    (default SQLite under FIMISHARE_HOME), FIMISHARE_ELASTICSEARCH_URL.
    """


def check_level(node: Node, level: str | None) -> None:
    if level is not None and level not in node.settings.classification_levels:
        raise click.ClickException(f"clearance {level!r} is not one of {', '.join(node.settings.classification_levels)}")


def print_report(report: IngestReport) -> None:
    for source, problem in report.errors():
        click.echo(f"rejected: {source}: {problem.object_id} at {problem.path}: {problem.message}", err=True)
    for message in report.input_errors:
        click.echo(f"rejected: {message}", err=True)
    warnings = report.warnings()
    for problem in warnings[:50]:
        click.echo(f"warning: {problem.object_id} at {problem.path}: {problem.message}", err=True)
    if len(warnings) > 50:
        click.echo(f"warning: ... and {len(warnings) - 50} more warnings", err=True)
    click.echo(f"stored {report.stored}, unchanged {report.unchanged}, rejected {report.rejected}, warnings {len(warnings)}")
