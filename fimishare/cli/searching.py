"""Search, lookup, and the worker that feeds the index."""

from __future__ import annotations

from typing import TextIO

import click
import orjson

from fimishare import worker as search_worker
from fimishare.cli.base import main, open_node
from fimishare.node import Node
from fimishare.search import SearchEngine, SearchUnavailable
from fimishare.search.indexer import Indexer
from fimishare.search.query import FILTERS, INTERVALS, MAX_SIZE, SORTS, QueryError, SearchQuery, parse_filters
from fimishare.sharing import Principal
from fimishare.sharing.access import Readable
from fimishare.stix import Role
from fimishare.store.accounts import AccountError


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
    node = open_node()
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
    node = open_node()
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

    node = open_node()
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
    node = open_node()
    indexer = Indexer(node.store, node.gate, node.search)
    try:
        count = indexer.reindex()
        indexer.drain()
    except SearchUnavailable as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"indexed {count} objects into the {node.search.name} index", err=True)
