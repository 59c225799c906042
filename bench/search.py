"""Search: indexing throughput and query latency of both engines (SQLite FTS5 embedded,
Elasticsearch/OpenSearch over REST) on the generated corpus of bench/corpus.py.

    .venv/bin/python bench/search.py [--sizes 100000,1000000] [--engines embedded,elasticsearch]
                                     [--repeat 3] [--queries 100] [--elasticsearch-url URL]

Per size, one fresh node (SQLite store under a temporary directory, `fimishare init`, a
partner organisation with a viewer account) is loaded once with `fimishare import` of
the corpus (written as bundles of 50,000 objects), and reused for every engine and run.

Indexing, --repeat runs per engine, each into a fresh index (a new SQLite file; a new
Elasticsearch index named through FIMISHARE_ELASTICSEARCH_INDEX), given as median (best):
- reindex: `Indexer(node.store, node.gate, engine).reindex()`, the real path (store -> documents -> engine);
  documents/s = objects indexed / seconds;
- store + documents: the same reindex into an engine that only keeps what it is given
  (serialised with orjson, a few per cent of the time), once per size: reading the store
  and building the documents, no engine;
- engine alone: `engine.index` on those prebuilt documents, in the reindex's batches of
  1,000, then `engine.refresh()`, only the engine calls timed.

Elasticsearch is warmed up first by indexing 30,000 documents into a throwaway index: a
fresh JVM indexes several times slower until its code is compiled.

Latency, on the index of the last reindex run, warm (untimed queries of each kind first:
at least 10, and more for up to 5 s, 200 at most), --queries queries of each kind one
after another, the same ones for every engine and reader, p50 and p95 in ms of the call
(query building, request and answer parsing included); a kind stops at its first query
that takes longer than --query-timeout (60 s; Elasticsearch's own request timeout is 30 s),
and the table says so:
- lookup: 100 values, 90 observable values of the corpus (a third of them defanged:
  example[.]com, hxxps://..., 1.2.3[.]4, upper-case hashes) and 10 that it does not hold;
  as this node's organisation every one of the 90 must be found;
- full text: 1 or 2 random words of the corpus vocabulary, English or Japanese, with the
  default facets and monthly histogram, size 20, by relevance;
- filtered: type=indicator and tlp=green and a random range of one to three months of
  2024, half of them with one word too.
Each kind is measured as this node's organisation (admin: every access class) and as a
partner organisation's viewer (only the classes the sharing policy lets it read).

Without --elasticsearch-url, a search node (OpenSearch 2.19 from Maven Central, see
tests/services/search-node.sh) is started for each size, with a 1 GiB heap, or 2 GiB from
500,000 objects on (--heap overrides), and stopped afterwards. Everything the script
starts (node, indices, temporary directories) is removed on the way out, Ctrl-C included.

Results go to bench/results/search-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import orjson
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from corpus import _WORDS_EN, _WORDS_JA, generate  # noqa: E402
from taxii import FIMISHARE, percentiles_ms, run  # noqa: E402

from fimishare.config import Settings  # noqa: E402
from fimishare.node import Node  # noqa: E402
from fimishare.search import SearchUnavailable, open_engine  # noqa: E402
from fimishare.search.indexer import Indexer  # noqa: E402
from fimishare.search.query import SearchQuery, parse_filters  # noqa: E402
from fimishare.sharing.principals import Principal  # noqa: E402

SEARCH_NODE = ROOT / "tests" / "services" / "search-node.sh"
ENGINES = ("embedded", "elasticsearch")
BUNDLE_OBJECTS = 50_000
BATCH = 1000  # the Indexer's default batch
WARM_UP, WARM_UP_MAX, WARM_UP_SECONDS = 10, 200, 5.0  # untimed queries of each kind: 10, and on for 5 s up to 200
WARM_UP_BATCHES = 30  # of documents indexed into a throwaway index before Elasticsearch is timed
LOOKUP_VALUES, LOOKUP_FOUND = 100, 90
PARTNER, PARTNER_ACCOUNT = "Bench Partner", "bench-partner"
TARGET_AT = 100_000
TARGET_LOOKUP_P50_MS = {"elasticsearch": 20, "embedded": 50}
TARGET_ES_DOCS_PER_S = 5000
ES_TIMEOUT = 30.0  # ElasticsearchEngine's request timeout, as open_engine makes it

_PATTERN = re.compile(r"^\[(.+?) = '(.*)'\]$")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Phases:
    """Wall time of each phase, for the report."""

    def __init__(self):
        self.done: list[tuple[str, float]] = []

    def run(self, name: str, action, *args, **kwargs):
        log(f"{name} ...")
        started = time.perf_counter()
        result = action(*args, **kwargs)
        elapsed = time.perf_counter() - started
        self.done.append((name, elapsed))
        log(f"{name}: {elapsed:.0f} s (load average {os.getloadavg()[0]:.1f})")
        return result


# --------------------------------------------------------------------------- the store


def observable_sample(objects: list[dict], rng: random.Random, keep: int = 20_000) -> list[tuple[str, str]]:
    """(STIX path, value) of up to ``keep`` indicator patterns of the corpus."""
    found = []
    for obj in objects:
        if obj["type"] == "indicator" and (match := _PATTERN.match(obj["pattern"])):
            found.append((match[1], match[2]))
    return rng.sample(found, min(keep, len(found)))


def load_store(scratch: Path, size: int, phases: Phases) -> tuple[dict, list[tuple[str, str]]]:
    """A fresh node holding the corpus of ``size`` objects: its environment and a sample of its observables."""
    env = dict(os.environ, FIMISHARE_HOME=str(scratch / f"node-{size}"))
    for name in ("FIMISHARE_DATABASE_URL", "FIMISHARE_ELASTICSEARCH_URL", "FIMISHARE_ELASTICSEARCH_INDEX"):
        env.pop(name, None)
    run([FIMISHARE, "init", "--org-name", "Bench CERT node"], env)
    run([FIMISHARE, "orgs", "add", PARTNER], env)
    run([FIMISHARE, "users", "add", PARTNER_ACCOUNT, "--org", PARTNER, "--role", "viewer"], env)
    bundles = scratch / f"corpus-{size}"
    bundles.mkdir()

    def write() -> list[tuple[str, str]]:
        objects = generate(size)
        for start in range(0, len(objects), BUNDLE_OBJECTS):
            bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects[start : start + BUNDLE_OBJECTS]}
            (bundles / f"part-{start // BUNDLE_OBJECTS:04d}.json").write_bytes(orjson.dumps(bundle))
        return observable_sample(objects, random.Random(size))

    sample = phases.run(f"{size:,}: generate and write the corpus", write)
    output = phases.run(f"{size:,}: fimishare import", run, [FIMISHARE, "import", str(bundles)], env)
    log(output.strip().splitlines()[-1])
    for path in bundles.iterdir():
        path.unlink()
    bundles.rmdir()
    return env, sample


# --------------------------------------------------------------------------- indexing


class Keeper:
    """An engine that keeps the documents it is given, serialised, and indexes nothing."""

    name = "none"

    def __init__(self):
        self.batches: list[bytes] = []

    def reset(self) -> None:
        self.batches.clear()

    def index(self, documents: list[tuple[dict, int]]) -> None:
        self.batches.append(orjson.dumps(documents))

    def refresh(self) -> None:
        pass


class Engines:
    """Fresh engines of one kind, each as the node's settings would open it; all removed at the end."""

    def __init__(self, kind: str, scratch: Path, env: dict, es_url: str | None, tag: str):
        self.kind, self.scratch, self.env, self.es_url, self.tag = kind, scratch, env, es_url, tag
        self.opened: list = []
        self.made = 0

    def fresh(self):
        name = f"{self.tag}-{self.made}"
        self.made += 1
        settings = dict(self.env, FIMISHARE_HOME=str(self.scratch / name))
        if self.kind == "elasticsearch":
            settings.update(FIMISHARE_ELASTICSEARCH_URL=self.es_url, FIMISHARE_ELASTICSEARCH_INDEX=name)
        # The store stays where it is: only the engine's own place changes.
        settings["FIMISHARE_DATABASE_URL"] = f"sqlite:///{Path(self.env['FIMISHARE_HOME']) / 'fimishare.db'}"
        engine = open_engine(Settings.from_env(settings))
        assert engine.name == self.kind, (engine.name, self.kind)
        self.opened.append(engine)
        return engine

    def drop(self, engine) -> None:
        if self.kind == "elasticsearch":
            engine.drop()
            engine.close()
        else:
            engine.close()
            for path in engine.path.parent.glob(engine.path.name + "*"):
                path.unlink()
        self.opened.remove(engine)

    def drop_all(self) -> None:
        for engine in list(self.opened):
            try:
                self.drop(engine)
            except Exception as error:  # noqa: BLE001 -- cleaning up: go on with the rest
                log(f"could not remove {self.kind} index: {error}")


def reindex_rate(node: Node, engine) -> tuple[float, float, int]:
    started = time.perf_counter()
    count = Indexer(node.store, node.gate, engine).reindex()
    elapsed = time.perf_counter() - started
    indexed = engine.count()
    if indexed != count:
        raise RuntimeError(f"{engine.name}: reindex reported {count} objects, the index holds {indexed}")
    return count / elapsed, elapsed, count


def engine_rate(engine, batches: list[bytes]) -> tuple[float, float]:
    engine.reset()
    elapsed, count = 0.0, 0
    for batch in batches:
        documents = orjson.loads(batch)
        started = time.perf_counter()
        engine.index(documents)
        elapsed += time.perf_counter() - started
        count += len(documents)
    started = time.perf_counter()
    engine.refresh()  # as the indexer does at the end: what was indexed is searchable
    elapsed += time.perf_counter() - started
    if engine.count() != count:
        raise RuntimeError(f"{engine.name}: {count} documents indexed, the index holds {engine.count()}")
    return count / elapsed, elapsed


# --------------------------------------------------------------------------- queries


def defanged(path: str, value: str) -> str:
    if path.startswith("file:"):
        return value.upper()
    if path.startswith("url:"):
        return value.replace("https://", "hxxps://", 1).replace(".", "[.]")
    head, _, tail = value.rpartition(".")
    return f"{head}[.]{tail}"


def missing_value(rng: random.Random) -> str:
    return rng.choice(
        [
            f"absent-{rng.getrandbits(40):010x}.example",
            f"https://absent-{rng.getrandbits(32):08x}.example/{rng.randint(1, 99999)}",
            f"240.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            f"{rng.getrandbits(256):064x}",
        ]
    )


def lookup_values(sample: list[tuple[str, str]], rng: random.Random) -> list[str]:
    values = [defanged(path, value) if rng.random() < 1 / 3 else value for path, value in rng.sample(sample, LOOKUP_FOUND)]
    values += [missing_value(rng) for _ in range(LOOKUP_VALUES - LOOKUP_FOUND)]
    rng.shuffle(values)
    return values


def full_text_query(rng: random.Random) -> SearchQuery:
    vocabulary = _WORDS_JA if rng.random() < 0.3 else _WORDS_EN
    return SearchQuery(" ".join(rng.sample(vocabulary, rng.randint(1, 2))))


def filtered_query(rng: random.Random) -> SearchQuery:
    first = rng.randint(1, 10)
    last = min(12, first + rng.randint(0, 2))
    until = f"2024-{last + 1:02d}-01T00:00:00Z" if last < 12 else "2024-12-31T23:59:59.999Z"
    text = rng.choice(_WORDS_JA if rng.random() < 0.3 else _WORDS_EN) if rng.random() < 0.5 else ""
    return SearchQuery(text, parse_filters(["type=indicator", "tlp=green"]), since=f"2024-{first:02d}-01T00:00:00Z", until=until)


class TimedOut(Exception):
    pass


def timed(engine, call, timeout: float):
    """(seconds, answer) of ``call``; TimedOut when it takes longer than ``timeout`` (the
    embedded engine's query is interrupted then; Elasticsearch's requests time out by themselves)."""
    timer = None
    if engine.name == "embedded":
        timer = threading.Timer(timeout, engine._db().interrupt)
        timer.start()
    started = time.perf_counter()
    try:
        answer = call()
    except (sqlite3.OperationalError, SearchUnavailable) as error:
        elapsed = time.perf_counter() - started
        if elapsed < min(timeout, ES_TIMEOUT) * 0.9:
            raise
        if engine.name == "embedded":
            engine.close()  # a fresh connection for what follows, out of the interrupted transaction
        raise TimedOut(f"{elapsed:.0f} s: {error}") from None
    finally:
        if timer is not None:
            timer.cancel()
    return time.perf_counter() - started, answer


def latencies(engine, readable, sample, queries: int, seed: int, must_find: bool, timeout: float) -> dict:
    """p50 and p95 (ms) of each query kind, and what the queries found. A kind stops at its
    first query that takes longer than ``timeout`` seconds."""
    out = {}

    def lookup(rng):
        values = lookup_values(sample, rng)
        return lambda: engine.lookup(values, readable), lambda results: sum(1 for r in results if r.ids)

    def full_text(rng):
        query = full_text_query(rng)
        return lambda: engine.search(query, readable), lambda result: result.total

    def filtered(rng):
        query = filtered_query(rng)
        return lambda: engine.search(query, readable), lambda result: result.total

    for kind, make in (("lookup", lookup), ("full_text", full_text), ("filtered", filtered)):
        times, found, timed_out, warmed = [], [], None, 0
        # The timed queries are the same for every engine and reader, whatever the warm-up took.
        warm_rng, rng = random.Random(-seed), random.Random(seed)
        warm_started = time.perf_counter()
        try:
            # A fresh index (and, for Elasticsearch, a JVM that has not run this query yet)
            # answers the first queries several times slower.
            while warmed < WARM_UP or (warmed < WARM_UP_MAX and time.perf_counter() - warm_started < WARM_UP_SECONDS):
                call, _measure = make(warm_rng)
                timed(engine, call, timeout)
                warmed += 1
            for _ in range(queries):
                call, measure = make(rng)
                elapsed, answer = timed(engine, call, timeout)
                times.append(elapsed)
                found.append(measure(answer))
        except TimedOut as error:
            timed_out = f"after {warmed} warm-up and {len(times)} timed queries, one took over {timeout:.0f} s: {error}"
            log(f"{engine.name} {kind}: {timed_out}")
        if kind == "lookup" and must_find and found and min(found) != LOOKUP_FOUND:
            raise RuntimeError(f"{engine.name}: a lookup found {min(found)} of the {LOOKUP_FOUND} values the store holds")
        p50, p95 = percentiles_ms(times) if len(times) >= 2 else (None, None)
        out[kind] = {
            "p50_ms": p50,
            "p95_ms": p95,
            "mean_found": statistics.mean(found) if found else None,
            "queries": len(times),
            "warm_up_queries": warmed,
            "timed_out": timed_out,
        }
    return out


# --------------------------------------------------------------------------- search node


def start_search_node(stack: ExitStack, scratch: Path, heap: str, port: int) -> str:
    directory = scratch / f"search-node-{uuid.uuid4().hex[:8]}"
    # Registered first, so that a node that started but never answered is stopped too.
    stack.callback(lambda: subprocess.run(["bash", str(SEARCH_NODE), "stop", str(directory)], capture_output=True))
    env = dict(os.environ, FIMISHARE_SEARCH_NODE_HEAP=heap)
    done = subprocess.run(["bash", str(SEARCH_NODE), "start", str(directory), str(port)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the search node did not start:\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1]


def server_version(url: str) -> str:
    info = requests.get(url, timeout=30).json()["version"]
    return f"{info.get('distribution', 'elasticsearch')} {info['number']}"


# --------------------------------------------------------------------------- one size


def measure_size(size: int, args, scratch: Path, phases: Phases, done) -> None:
    """Measures every engine at ``size``, handing each engine's row to ``done``."""
    env, sample = load_store(scratch, size, phases)
    node = Node(Settings.from_env(env))
    org = node.store.directory.node_organisation()
    views = [
        ("node organisation", node.gate.readable(Principal(org.id, org.id, "admin", org.clearance)), True),
        ("partner viewer", node.gate.readable(node.store.directory.account(PARTNER_ACCOUNT).principal()), False),
    ]

    keeper = Keeper()

    def build() -> tuple[float, int]:
        started = time.perf_counter()
        count = Indexer(node.store, node.gate, keeper).reindex()
        return count / (time.perf_counter() - started), count

    build_rate, objects = phases.run(f"{size:,}: store + documents (no engine)", build)
    for kind in args.engines:
        with ExitStack() as local:
            es_url = server = None
            if kind == "elasticsearch":
                es_url = args.elasticsearch_url
                if es_url is None:
                    heap = args.heap or ("2g" if size >= 500_000 else "1g")
                    es_url = phases.run(f"{size:,}: start search node ({heap} heap)", start_search_node, local, scratch, heap, args.port)
                server = server_version(es_url)
            engines = Engines(kind, scratch, env, es_url, f"fimishare-bench-{uuid.uuid4().hex[:6]}-{size}-{kind}")
            local.callback(engines.drop_all)
            if kind == "elasticsearch":
                # A fresh JVM indexes several times slower until its code is compiled.
                warm = engines.fresh()
                phases.run(f"{size:,}: {kind} warm-up", engine_rate, warm, keeper.batches[:WARM_UP_BATCHES])
                engines.drop(warm)
            reindex, alone, seconds = [], [], []
            kept = None
            for attempt in range(args.repeat):
                engine = engines.fresh()
                rate = phases.run(f"{size:,}: {kind} engine alone, run {attempt + 1}", engine_rate, engine, keeper.batches)
                alone.append(rate[0])
                engines.drop(engine)
                if kept is not None:
                    engines.drop(kept)
                kept = engines.fresh()
                rate, elapsed, count = phases.run(f"{size:,}: {kind} reindex, run {attempt + 1}", reindex_rate, node, kept)
                reindex.append(rate)
                seconds.append(elapsed)
                log(f"{kind}: reindex {rate:,.0f} docs/s, engine alone {alone[-1]:,.0f} docs/s")
            views_out = {}
            for view, readable, must_find in views:
                views_out[view] = phases.run(
                    f"{size:,}: {kind} queries as {view}",
                    latencies,
                    kept,
                    readable,
                    sample,
                    args.queries,
                    size,
                    must_find,
                    args.query_timeout,
                )
            if kind == "embedded":
                index_bytes = sum(p.stat().st_size for p in kept.path.parent.glob(kept.path.name + "*"))
            else:
                stats = requests.get(f"{es_url.rstrip('/')}/{kept.index_name}/_stats/store", timeout=60).json()
                index_bytes = stats["_all"]["primaries"]["store"]["size_in_bytes"]
        done(
            {
                "engine": kind,
                "server": server,
                "size": size,
                "objects": objects,
                "reindex_docs_per_s": reindex,
                "reindex_seconds": seconds,
                "engine_alone_docs_per_s": alone,
                "store_and_documents_docs_per_s": build_rate,
                "index_bytes": index_bytes,
                "latency": views_out,
            }
        )
    keeper.reset()
    node.store.engine.dispose()
    shutil.rmtree(env["FIMISHARE_HOME"])  # the next size's store needs the room


# --------------------------------------------------------------------------- report


def rate_cell(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ({max(values):,.0f})"


def latency_cell(kind: dict, args) -> str:
    if kind["p50_ms"] is None:
        return f"over {args.query_timeout:.0f} s: timed out"
    cell = f"{kind['p50_ms']:.1f} / {kind['p95_ms']:.1f} ({kind['mean_found']:,.0f})"
    if kind["timed_out"]:
        cell += f", {kind['queries']} queries, then one over {args.query_timeout:.0f} s"
    return cell


def targets(rows: list[dict]) -> list[str]:
    lines = []
    for row in rows:
        if row["size"] == TARGET_AT:
            p50 = row["latency"]["node organisation"]["lookup"]["p50_ms"]
            limit = TARGET_LOOKUP_P50_MS[row["engine"]]
            figure = "timed out" if p50 is None else f"{p50:.1f} ms"
            lines.append(
                f"lookup of {LOOKUP_VALUES} values p50 < {limit} ms, {row['engine']}, {TARGET_AT:,} objects: "
                f"{figure} ({'met' if p50 is not None and p50 < limit else 'MISSED'})"
            )
    for row in rows:
        if row["engine"] == "elasticsearch":
            rate = statistics.median(row["reindex_docs_per_s"])
            alone = statistics.median(row["engine_alone_docs_per_s"])
            lines.append(
                f"indexing into Elasticsearch >= {TARGET_ES_DOCS_PER_S:,} documents/s, {row['objects']:,} objects: "
                f"reindex {rate:,.0f} ({'met' if rate >= TARGET_ES_DOCS_PER_S else 'MISSED'}); "
                f"engine alone {alone:,.0f} ({'met' if alone >= TARGET_ES_DOCS_PER_S else 'MISSED'})"
            )
    if not any(row["size"] == TARGET_AT for row in rows):
        lines.append(f"(the lookup targets are set at {TARGET_AT:,} objects, which this run did not measure)")
    return lines


def print_report(rows: list[dict], target_lines: list[str], args) -> None:
    label = {"embedded": "embedded (SQLite FTS5)"}
    print("Indexing, documents/s, median (best) of", args.repeat, "runs:\n")
    print(
        "| engine | objects | reindex (store → documents → engine) | store + documents, no engine | engine alone | "
        "reindex s, median | index size |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {label.get(row['engine'], row['server'] or row['engine'])} | {row['objects']:,} | "
            f"{rate_cell(row['reindex_docs_per_s'])} | {row['store_and_documents_docs_per_s']:,.0f} | "
            f"{rate_cell(row['engine_alone_docs_per_s'])} | {statistics.median(row['reindex_seconds']):.0f} | "
            f"{row['index_bytes'] / 2**20:,.0f} MiB |"
        )
    print(f"\nLatency, ms, p50 / p95 of {args.queries} queries of each kind (mean found: values of a lookup, hits of a query):\n")
    print("| engine | objects | reader | lookup of 100 values | full text + facets | filtered |")
    print("|---|---:|---|---:|---:|---:|")
    for row in rows:
        for view, kinds in row["latency"].items():
            cells = [latency_cell(kinds[k], args) for k in ("lookup", "full_text", "filtered")]
            print(
                f"| {label.get(row['engine'], row['server'] or row['engine'])} | {row['objects']:,} | {view} | " + " | ".join(cells) + " |"
            )
    print(
        f"\nlookup: {LOOKUP_FOUND} values the corpus holds (a third defanged) and {LOOKUP_VALUES - LOOKUP_FOUND} it does not; "
        "full text: 1-2 words, English or Japanese, default facets and monthly histogram, size 20; "
        "filtered: type=indicator, tlp=green, one to three months of 2024, half with a word. "
        "Objects: the corpus and what `fimishare init` and `orgs add` store."
    )
    print("\nTargets:\n" + "\n".join(f"- {line}" for line in target_lines))


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated corpus sizes")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated: embedded, elasticsearch")
    parser.add_argument("--repeat", type=int, default=3, help="indexing runs per engine and size")
    parser.add_argument("--queries", type=int, default=100, help="timed queries of each kind")
    parser.add_argument("--elasticsearch-url", help="an Elasticsearch or OpenSearch server to use (default: start one per size)")
    parser.add_argument(
        "--query-timeout",
        type=float,
        default=60.0,
        help="seconds; a query kind stops at its first query that takes longer (Elasticsearch: 30 s at most)",
    )
    parser.add_argument("--heap", help="heap of the search node started (default 1g, 2g from 500,000 objects on)")
    parser.add_argument("--port", type=int, default=9260, help="HTTP port of the search node started (below 9300)")
    args = parser.parse_args()
    try:
        sizes = [int(size.replace("_", "")) for size in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes: not a list of numbers: {args.sizes}")
    args.engines = args.engines.split(",")
    if unknown := set(args.engines) - set(ENGINES):
        parser.error(f"unknown engine: {', '.join(sorted(unknown))}")
    if args.repeat < 1 or args.queries < 2:
        parser.error("--repeat must be at least 1 and --queries at least 2")
    # A stop request unwinds like an error, so everything started is stopped and removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    stamp = datetime.now(UTC)
    began = time.perf_counter()
    phases = Phases()
    rows: list[dict] = []
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    path = out / f"search-{stamp.strftime('%Y%m%dT%H%M%SZ')}.json"

    revision = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    changed = subprocess.run(["git", "diff", "--stat", "HEAD", "--", "fimishare"], cwd=ROOT, capture_output=True, text=True).stdout

    def save(complete: bool) -> None:
        # After each engine and size, so that a run stopped part-way keeps what it measured.
        path.write_text(
            json.dumps(
                {
                    "date": stamp.isoformat(timespec="seconds"),
                    "revision": revision,
                    "uncommitted": changed.splitlines(),
                    "arguments": vars(args),
                    "cpus": os.cpu_count(),
                    "complete": complete,
                    "rows": rows,
                    "targets": targets(rows),
                    "phases": phases.done,
                    "seconds": time.perf_counter() - began,
                },
                indent=2,
                ensure_ascii=False,
            )
        )

    def done(row: dict) -> None:
        rows.append(row)
        save(False)

    complete = False
    try:
        with ExitStack() as stack:
            scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fimishare-bench-search-")))
            for size in sizes:
                measure_size(size, args, scratch, phases, done)
        complete = True
    finally:
        if rows:
            save(complete)
            if not complete:
                print("(stopped part-way: what was measured before)\n")
            print_report(rows, targets(rows), args)
        print("\nPhases:\n" + "\n".join(f"- {name}: {seconds:.0f} s" for name, seconds in phases.done), file=sys.stderr)
        print(f"\n{time.perf_counter() - began:.0f} s in all", file=sys.stderr)
        if rows:
            print(f"results in {path.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
