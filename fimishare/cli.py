"""The fimishare command line."""

from __future__ import annotations

import secrets
import sys
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click
import orjson

from fimishare import feeds
from fimishare import worker as search_worker
from fimishare.config import Settings
from fimishare.ingest.pipeline import IngestReport
from fimishare.ingest.reference import add_organisation
from fimishare.node import Node, initialise
from fimishare.search import SearchEngine, SearchUnavailable
from fimishare.search.indexer import Indexer
from fimishare.search.query import FILTERS, INTERVALS, MAX_SIZE, SORTS, QueryError, SearchQuery, parse_filters
from fimishare.sharing import EVERY_PARTNER, Channel, Grant, Principal, Recipient
from fimishare.sharing.access import Readable
from fimishare.stix import EntryPath, Role, Tlp
from fimishare.stix_profiles import profiles
from fimishare.store import NotInitialised
from fimishare.store.accounts import AccountError
from fimishare.store.collections import DEFAULT_MAX_CONTENT_LENGTH, CollectionError, CollectionFilter
from fimishare.store.objects import Provenance
from fimishare.taxii_server.medallion_data import DEFAULT_ACCOUNT, MedallionDataError, migrate, read_data

if TYPE_CHECKING:
    from flask import Flask


def _node() -> Node:
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


@main.command()
@click.option("--org-name", default="fimishare node", show_default=True, help="Name of this node's own organisation.")
def init(org_name: str) -> None:
    """Create the store and this node's own organisation (safe to run again)."""
    node = Node(Settings.from_env())
    org, made, report = initialise(node, org_name)
    click.echo(f"store {'created' if made else 'ready'} at {node.settings.database_url}; this node is {org.name} ({org.id})")
    if not report.ok:
        _print_report(report)
        raise SystemExit(1)


@main.group()
def orgs() -> None:
    """Partner organisations."""


@orgs.command("add")
@click.argument("name")
@click.option("--clearance", help="Highest classification level this organisation may receive.")
def orgs_add(name: str, clearance: str | None) -> None:
    node = _node()
    _check_level(node, clearance)
    try:
        org, report = add_organisation(node.store.directory, node.pipeline, name, clearance=clearance)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    if not report.ok:
        _print_report(report)
        raise SystemExit(1)
    click.echo(f"{org.name}\t{org.id}")


@orgs.command("list")
def orgs_list() -> None:
    for org in _node().store.directory.organisations():
        click.echo(f"{org.name}\t{org.id}\t{'this node' if org.is_node else 'partner'}\t{org.clearance or '-'}")


@main.group()
def users() -> None:
    """People and machine accounts."""


@users.command("add")
@click.argument("name")
@click.option("--org", "org", required=True, help="Organisation name or identity id.")
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
@click.option("--password", help="Portal password. Without one (machine accounts), an API key is made and printed, once.")
@click.option("--clearance", help="Highest classification level this account may read.")
def users_add(name: str, org: str, role: str, password: str | None, clearance: str | None) -> None:
    node = _node()
    _check_level(node, clearance)
    try:
        # Without a password the account signs in with API keys only: its password is a
        # random secret no one ever sees.
        account = node.store.directory.add_account(
            name, org=org, role=role, password=password or secrets.token_urlsafe(32), clearance=clearance
        )
        key = None if password else node.store.directory.issue_api_key(name)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{account.name}\t{account.identity_id}\t{account.role}")
    if key:
        click.echo(f"api key\t{key}")


@users.command("key")
@click.argument("name")
@click.option("--revoke", is_flag=True, help="Revoke every API key of the account instead.")
def users_key(name: str, revoke: bool) -> None:
    """Make a new API key for an account and print it (it is shown only this once)."""
    node = _node()
    try:
        if revoke:
            click.echo(f"revoked {node.store.directory.revoke_api_keys(name)} API key(s) of {name}", err=True)
        else:
            click.echo(node.store.directory.issue_api_key(name))
    except AccountError as error:
        raise click.ClickException(str(error)) from None


@users.command("list")
def users_list() -> None:
    node = _node()
    names = {org.id: org.name for org in node.store.directory.organisations()}
    for account in node.store.directory.accounts():
        org = names.get(account.org_id, account.org_id)
        click.echo(f"{account.name}\t{account.identity_id}\t{org}\t{account.role}\t{account.clearance or '-'}")


def _check_level(node: Node, level: str | None) -> None:
    if level is not None and level not in node.settings.classification_levels:
        raise click.ClickException(f"clearance {level!r} is not one of {', '.join(node.settings.classification_levels)}")


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
    node = _node()
    try:
        node.store.collections.add_root(
            name, title=title, description=description, max_content_length=max_content_length, exercise=exercise
        )
    except CollectionError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"/taxii2/{name}/")


@roots.command("list")
def roots_list() -> None:
    for root in _node().store.collections.roots():
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
    node = _node()
    try:
        report = migrate(node.store, node.pipeline, read_data(file), source=str(file), account=account)
    except (MedallionDataError, CollectionError, AccountError) as error:
        raise click.ClickException(str(error)) from None
    _print_report(report.ingest)
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
    node = _node()
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
    node = _node()
    try:
        target = node.store.collections.find(collection)
        node.store.collections.grant(target.id, Grant(_grantee(node, org), read, write))
    except CollectionError as error:
        raise click.ClickException(str(error)) from None


@collections_.command("list")
@click.option("--root", "api_root", help="Only this API root's collections.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document.")
def collections_list(api_root: str | None, as_json: bool) -> None:
    node = _node()
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


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--org", "org", help="The partner organisation the data came from (default: this node's own).")
def import_(paths: tuple[Path, ...], org: str | None) -> None:
    """Import STIX 2.1 bundles, lists of objects, directories of them, and CSV indicator feeds."""
    node = _node()
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
    _print_report(report)
    if not report.ok:
        raise SystemExit(1)


def _print_report(report: IngestReport) -> None:
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


@main.command()
@click.option("--type", "types", multiple=True, help="Only objects of this STIX type (repeatable).")
@click.option("--for", "for_org", help="The organisation the export is for (default: this node's own).")
@click.option("--exercise", is_flag=True, help="Export exercise data instead of real data.")
@click.option("--all-versions", is_flag=True, help="Every stored version, not only the newest.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE instead of stdout.")
def export(types: tuple[str, ...], for_org: str | None, exercise: bool, all_versions: bool, output: Path | None) -> None:
    """Export a STIX 2.1 bundle of what the sharing policy releases to an organisation."""
    node = _node()
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


def _searcher(node: Node, account: str | None, exercise: bool) -> tuple[SearchEngine, Readable]:
    """(engine, readable classes) for searching as ``account``, or as this node's organisation."""
    try:
        if account:
            principal = node.store.directory.account(account).principal(exercise)
        else:
            org = node.store.directory.node_organisation()
            principal = Principal(org.id, org.id, Role.ADMIN, org.clearance, exercise)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    return node.search, node.gate.readable(principal)


_AS_OPTION = click.option("--as", "account", help="Search as this account, seeing what it may read (default: this node's organisation).")
_EXERCISE_OPTION = click.option("--exercise", is_flag=True, help="In an exercise context: exercise data only.")


@main.command()
@click.argument("text", required=False, default="")
@click.option(
    "-f",
    "--filter",
    "filters",
    multiple=True,
    metavar="NAME=VALUE",
    help=f"Narrow the hits (repeatable; one name twice means either value). Names: {', '.join(FILTERS)}.",
)
@click.option("--since", help="Only objects dated at or after this STIX timestamp.")
@click.option("--until", help="Only objects dated at or before this STIX timestamp.")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True, help="Date: newest first.")
@click.option("--size", default=20, show_default=True, type=click.IntRange(0, MAX_SIZE), help="Hits per page.")
@click.option("--after", help="The 'next' token of the previous page.")
@click.option("--interval", type=click.Choice(INTERVALS), default="month", show_default=True, help="Date histogram buckets.")
@_AS_OPTION
@_EXERCISE_OPTION
@click.option("--json", "as_json", is_flag=True, help="One JSON document: total, hits, facets, histogram and next.")
def search(
    text: str,
    filters: tuple[str, ...],
    since: str | None,
    until: str | None,
    sort: str,
    size: int,
    after: str | None,
    interval: str,
    account: str | None,
    exercise: bool,
    as_json: bool,
) -> None:
    """Search reports, indicators and everything else the index holds, in English or Japanese."""
    node = _node()
    engine, readable = _searcher(node, account, exercise)
    try:
        query = SearchQuery(text, parse_filters(filters), since, until, sort, size, after, interval)
        result = engine.search(query, readable)
    except (QueryError, SearchUnavailable) as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(orjson.dumps(result.to_json()).decode())
        return
    click.echo(f"{result.total} hit{'' if result.total == 1 else 's'}")
    for hit in result.hits:
        click.echo(f"{hit.id}\t{hit.type}\t{hit.date[:10]}\t{hit.tlp or '-'}\t{hit.name or ''}")
        for name, fragments in hit.highlights.items():
            for fragment in fragments:
                click.echo(f"    {name}: {fragment}")
    for name, counts in result.facets.items():
        click.echo(f"{name}: " + ", ".join(f"{value} ({count})" for value, count in counts.items()))
    if result.histogram:
        click.echo(f"by {interval}: " + ", ".join(f"{key} ({count})" for key, count in result.histogram))
    if result.next:
        click.echo(f"next page: --after {result.next}")


@main.command()
@click.argument("values", nargs=-1)
@click.option("--from", "source", type=click.File("r"), help="Read values from this file, one per line ('-': standard input).")
@_AS_OPTION
@_EXERCISE_OPTION
@click.option("--json", "as_json", is_flag=True, help="One JSON document: the results and their totals.")
def lookup(values: tuple[str, ...], source: TextIO | None, account: str | None, exercise: bool, as_json: bool) -> None:
    """Have we, or a partner, seen these domains, URLs, addresses, accounts or hashes? Defanged values are fine."""
    wanted = list(values) + ([line.strip() for line in source if line.strip()] if source else [])
    if not wanted:
        raise click.UsageError("give one or more values, or --from FILE")
    node = _node()
    engine, readable = _searcher(node, account, exercise)
    try:
        results = engine.lookup(wanted, readable)
    except (QueryError, SearchUnavailable) as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        seen = sum(1 for result in results if result.ids)
        click.echo(orjson.dumps({"results": [r.to_json() for r in results], "total": len(results), "seen": seen}).decode())
        return
    for result in results:
        if result.kind is None:
            click.echo(f"{result.value}\tnot an observable value")
        else:
            click.echo(f"{result.value}\t{result.kind}:{result.normalised}\t{', '.join(result.ids) or 'not seen'}")


@main.command()
@click.option("--once", is_flag=True, help="Index what the outbox holds now, then stop.")
@click.option("--interval", default=1.0, show_default=True, type=click.FloatRange(0.05), help="Seconds between looks at the outbox.")
def worker(once: bool, interval: float) -> None:
    """Feed the search index from the store's outbox (until stopped, or --once)."""
    import signal
    import threading

    node = _node()
    indexer = Indexer(node.store, node.gate, node.search)
    if once:
        try:
            click.echo(f"indexed {indexer.drain()} objects into the {node.search.name} index", err=True)
        except SearchUnavailable as error:
            raise click.ClickException(f"{error}; the outbox keeps its {indexer.outbox.size()} versions") from None
        return
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    click.echo(f"feeding the {node.search.name} index from the outbox", err=True)
    search_worker.run(indexer, stop, interval)


@main.command()
def reindex() -> None:
    """Rebuild the search index from the store."""
    node = _node()
    indexer = Indexer(node.store, node.gate, node.search)
    try:
        count = indexer.reindex()
        indexer.drain()
    except SearchUnavailable as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"indexed {count} objects into the {node.search.name} index", err=True)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback unless a proxy needs otherwise).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@click.option(
    "--timeout",
    default=300,
    show_default=True,
    type=click.IntRange(10),
    help="Seconds a request may take (large bundles) before its worker is restarted.",
)
def serve(host: str, port: int, workers: int, timeout: int) -> None:
    """Run this node's HTTP service under gunicorn: the API (/api/v1) and TAXII 2.1 (/taxii2/)."""
    from gunicorn.app.base import BaseApplication

    node = _node()  # fails with a clear message when 'fimishare init' has not been run
    node.close()  # each worker opens its own connections

    class _Server(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type information: BaseApplication is Any
        def load_config(self) -> None:
            options = {
                "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
                "workers": workers,
                "worker_class": "sync",
                "timeout": timeout,
                "accesslog": "-",
                "errorlog": "-",
                "proc_name": "fimishare",
                # Not preloaded: every worker builds its own app and database engine after the fork.
                "preload_app": False,
                # gunicorn 27's runtime control socket (~/.gunicorn/gunicorn.ctl) is not wanted:
                # one path per user would clash between nodes and it is an extra way in.
                "control_socket_disable": True,
            }
            for key, value in options.items():
                if key in self.cfg.settings:  # settings newer gunicorns added are skipped on older ones
                    self.cfg.set(key, value)

        def load(self) -> Flask:
            from fimishare.platform import create_app

            return create_app()

    click.echo(f"fimishare on http://{host}:{port}: API at /api/v1, TAXII 2.1 at /taxii2/ ({workers} workers)", err=True)
    # The embedded search index lives beside the store: serve feeds it. With Elasticsearch,
    # `fimishare worker` runs as a service of its own (docker-compose.yml).
    indexing = None
    if not node.settings.elasticsearch_url:
        import subprocess

        indexing = subprocess.Popen([sys.executable, "-m", "fimishare.cli", "worker"])
    try:
        _Server().run()
    finally:
        if indexing is not None:
            indexing.terminate()
            indexing.wait(30)


if __name__ == "__main__":
    main()
