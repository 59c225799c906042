"""Data in and out of the node: import (through the ingest pipeline) and export (through the gate)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click
import orjson

from fimishare import feeds
from fimishare.cli.base import main, open_node, print_report
from fimishare.ingest.pipeline import IngestReport
from fimishare.node import Node
from fimishare.sharing import Channel, Recipient
from fimishare.stix import EntryPath
from fimishare.store.accounts import AccountError
from fimishare.store.objects import Provenance


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--org", "org", help="The partner organisation the data came from (default: this node's own).")
def import_(paths: tuple[Path, ...], org: str | None) -> None:
    """Import STIX 2.1 bundles, lists of objects, directories of them, and CSV indicator feeds."""
    node = open_node()
    try:
        source = node.store.directory.organisation(org) if org else node.store.directory.node_organisation()
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    files = feeds.expand_paths(paths)
    sizes = [path.stat().st_size or 1 for path in files]
    report = IngestReport()

    def file_name(path: Path | None) -> str | None:
        return path.name if path else None

    # The bar counts bytes, so one large bundle moves it as steadily as many small files.
    with click.progressbar(length=sum(sizes), label="importing", file=sys.stderr, item_show_func=file_name) as bar:
        for path, size in zip(files, sizes, strict=True):
            shown = 0

            def advance(done: int, total: int, path: Path = path, size: int = size) -> None:
                nonlocal shown
                now = size * done // max(total, 1)
                bar.update(now - shown, path)
                shown = now

            report.extend(feeds.import_file(node.pipeline, path, Provenance(source.id, EntryPath.IMPORT), advance))
            bar.update(size - shown, path)
    print_report(report)
    if not report.ok:
        raise SystemExit(1)


@main.command()
@click.option("--type", "types", multiple=True, help="Only objects of this STIX type (repeatable).")
@click.option("--for", "for_org", help="The organisation the export is for (default: this node's own).")
@click.option("--exercise", is_flag=True, help="Export exercise data instead of real data.")
@click.option("--all-versions", is_flag=True, help="Every stored version, not only the newest.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE instead of stdout.")
def export(types: tuple[str, ...], for_org: str | None, exercise: bool, all_versions: bool, output: Path | None) -> None:
    """Export a STIX 2.1 bundle of what the sharing policy releases to an organisation."""
    node = open_node()
    try:
        org = node.store.directory.organisation(for_org) if for_org else node.store.directory.node_organisation()
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    bundle = export_bundle(node, Recipient(org.id, org.clearance, exercise), types=types, all_versions=all_versions)
    data = orjson.dumps(bundle, option=orjson.OPT_INDENT_2) + b"\n"
    if output:
        tmp = output.with_name(output.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(output)
        click.echo(f"exported {len(bundle['objects'])} objects to {output}", err=True)
    else:
        sys.stdout.buffer.write(data)


def export_bundle(node: Node, recipient: Recipient, *, types: Iterable[str] = (), all_versions: bool = False) -> dict[str, Any]:
    versions = node.store.objects.iter_versions(types=types or None, all_versions=all_versions)
    released = [copy for copy, _ in node.gate.releases(recipient, versions, Channel.EXPORT)]
    return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": released}
