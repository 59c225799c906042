"""TAXII API roots and collections, and migration from medallion."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import orjson

from fimishare.cli.base import main, open_node, print_report
from fimishare.node import Node
from fimishare.sharing import EVERY_PARTNER, Grant
from fimishare.stix import Tlp
from fimishare.stix_profiles import profiles
from fimishare.store.accounts import AccountError
from fimishare.store.layout import DEFAULT_MAX_CONTENT_LENGTH
from fimishare.store.membership import CollectionError, CollectionFilter
from fimishare.taxii_server.medallion_data import DEFAULT_ACCOUNT, MedallionDataError, migrate, read_data


@main.group()
def roots() -> None:
    """TAXII API roots (served at /taxii2/<name>/)."""


@roots.command("add")
@click.argument("name")
@click.option("--title", required=True)
@click.option("--description")
@click.option(
    "--max-content-length",
    type=click.IntRange(1),
    default=DEFAULT_MAX_CONTENT_LENGTH,
    show_default=True,
    help="Largest request body (bytes) partners may POST.",
)
@click.option("--exercise", is_flag=True, help="An exercise root: its readers see exercise-marked data only.")
def roots_add(name: str, title: str, description: str | None, max_content_length: int, exercise: bool) -> None:
    node = open_node()
    try:
        node.store.collections.add_root(
            name, title=title, description=description, max_content_length=max_content_length, exercise=exercise
        )
    except CollectionError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"/taxii2/{name}/")


@roots.command("list")
def roots_list() -> None:
    for root in open_node().store.collections.roots():
        click.echo(f"/taxii2/{root.name}/\t{root.title}\t{'exercise' if root.exercise else 'real'}\t{root.max_content_length}")


@main.group()
def taxii() -> None:
    """The TAXII 2.1 server's data: migrating from medallion."""


@taxii.command("import-medallion")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--account",
    default=DEFAULT_ACCOUNT,
    show_default=True,
    help="The account that gets the file's can_read and can_write; made, in a new partner organisation, if absent.",
)
def taxii_import_medallion(file: Path, account: str) -> None:
    """Migrate a medallion server's memory-backend data file (the layout of its default_data.json).

    Its API roots, collections (same ids, titles, descriptions, date_added values), objects
    and status resources are created here; objects go through the ingest pipeline, and what
    it rejects is reported. Nothing is written when the file's layout is wrong or its roots
    or collections exist already.
    """
    node = open_node()
    try:
        report = migrate(node.store, node.pipeline, read_data(file), source=str(file), account=account)
    except (MedallionDataError, CollectionError, AccountError) as error:
        raise click.ClickException(str(error)) from None
    print_report(report.ingest)
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    default = node.store.collections.default_root()
    assert default is not None  # init made the default layout, and the migration added roots
    click.echo(
        f"migrated API roots {', '.join(report.roots)} (default /taxii2/{default.name}/), {report.collections} collections "
        f"with {report.entries} versions, {report.statuses} status resources"
    )
    click.echo(f"medallion's users act as account {report.account.name}")
    if report.api_key:
        click.echo(f"api key\t{report.api_key}")
    if not report.ingest.ok:
        raise SystemExit(1)


@main.group("collections")
def collections_() -> None:
    """TAXII collections: saved filters over the store, and who may read or write them."""


def _grantee(node: Node, org: str) -> str:
    if org in (EVERY_PARTNER, "all-partners"):
        return EVERY_PARTNER
    try:
        return node.store.directory.organisation(org).id
    except AccountError as error:
        raise click.ClickException(str(error)) from None


@collections_.command("add")
@click.option("--root", "api_root", required=True, help="API root name (see 'fimishare roots list').")
@click.option("--title", required=True)
@click.option("--alias", help="Short name, unique in the root.")
@click.option("--description")
@click.option("--type", "types", multiple=True, help="Only objects of this STIX type (repeatable).")
@click.option(
    "--profile",
    "profile_names",
    multiple=True,
    type=click.Choice([p.name for p in profiles.load_profiles()]),
    help="Only objects this profile covers, and objects no profile covers (repeatable).",
)
@click.option(
    "--tlp", multiple=True, type=click.Choice([level.value for level in Tlp]), help="Only objects at this TLP level (repeatable)."
)
@click.option("--marking", "markings", multiple=True, help="Only objects carrying this marking-definition id (repeatable).")
@click.option("--exercise-only", is_flag=True, help="Only exercise-marked objects and the reference objects exercises need.")
@click.option("--read-only", is_flag=True, help="Partners may not post into it.")
@click.option("--read", "readers", multiple=True, help="Organisation (name or id; '*' for every partner) that may read it.")
@click.option("--write", "writers", multiple=True, help="Organisation (name or id; '*' for every partner) that may post into it.")
def collections_add(
    api_root: str,
    title: str,
    alias: str | None,
    description: str | None,
    types: tuple[str, ...],
    profile_names: tuple[str, ...],
    tlp: tuple[str, ...],
    markings: tuple[str, ...],
    exercise_only: bool,
    read_only: bool,
    readers: tuple[str, ...],
    writers: tuple[str, ...],
) -> None:
    """Make a collection; it starts with every stored object its filter matches. Prints its id."""
    node = open_node()
    reading = {_grantee(node, org) for org in readers}
    writing = {_grantee(node, org) for org in writers}
    grants = [Grant(org, org in reading, org in writing) for org in sorted(reading | writing)]
    try:
        wanted = CollectionFilter(types=types, profiles=profile_names, tlp=tlp, markings=markings, exercise=exercise_only)
        collection = node.store.collections.add(
            api_root, title=title, alias=alias, description=description, filter=wanted, writable=not read_only, grants=grants
        )
    except CollectionError as error:
        raise click.ClickException(str(error)) from None
    click.echo(collection.id)


@collections_.command("grant")
@click.argument("collection")
@click.argument("org")
@click.option("--read/--no-read", default=True, show_default=True)
@click.option("--write/--no-write", default=False, show_default=True)
def collections_grant(collection: str, org: str, read: bool, write: bool) -> None:
    """Set what an organisation ('*': every partner) may do with a collection (id, alias or ROOT/ALIAS)."""
    node = open_node()
    try:
        target = node.store.collections.find(collection)
        node.store.collections.grant(target.id, Grant(_grantee(node, org), read, write))
    except CollectionError as error:
        raise click.ClickException(str(error)) from None


@collections_.command("list")
@click.option("--root", "api_root", help="Only this API root's collections.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document.")
def collections_list(api_root: str | None, as_json: bool) -> None:
    node = open_node()
    names = {org.id: org.name for org in node.store.directory.organisations()} | {EVERY_PARTNER: "every partner"}
    found = node.store.collections.list(api_root)
    if as_json:
        documents = [
            {
                "id": c.id,
                "api_root": c.api_root,
                "alias": c.alias,
                "title": c.title,
                "description": c.description,
                "filter": c.filter.as_json(),
                "writable": c.writable,
                "grants": [
                    {"org": names.get(g.org_id, g.org_id), "org_id": g.org_id, "can_read": g.can_read, "can_write": g.can_write}
                    for g in c.grants
                ],
            }
            for c in found
        ]
        sys.stdout.buffer.write(orjson.dumps(documents, option=orjson.OPT_INDENT_2) + b"\n")
        return
    for c in found:
        rights = ", ".join(f"{names.get(g.org_id, g.org_id)}:{'r' if g.can_read else ''}{'w' if g.can_write else ''}" for g in c.grants)
        wanted = "; ".join(k if v is True else f"{k}={','.join(v)}" for k, v in c.filter.as_json().items()) or "everything"
        writable = "writable" if c.writable else "read-only"
        click.echo(f"{c.id}\t/taxii2/{c.api_root}/\t{c.alias or '-'}\t{c.title}\t{wanted}\t{writable}\t{rights or '-'}")
