"""TAXII 2.1 throughput and latency: fimishare's TAXII server beside medallion 3.0.0 (the
OASIS reference server, memory backend), the same client workload against both.

    .venv/bin/python bench/taxii.py [--servers medallion,fimishare] [--sizes mobile,corpus]
                                    [--repeat 3] [--load post|import] [--postgres-url URL]

`make bench` runs it after bench/ingest.py, with a PostgreSQL that tests/services/run.sh starts.

Each run starts a fresh server with an empty collection and, as one client:
1. POST: sends the objects as TAXII envelopes of --chunk objects (202 and a status whose
   success_count is the chunk, polled until complete when the server answers pending);
   objects/s. With --load import, fimishare is instead loaded by `fimishare import` before
   it starts (wall time of the command), and that figure is given instead.
2. paging: GET objects/?limit=1000, then the same with next=<next> until more is false;
   objects/s. Every loaded object must come back (objects a server starts with, such as
   fimishare's TLP marking-definitions, come back too and count in the rate).
3. filtered GET: match[type]=<a rare type>&limit=100, 50 requests one after another;
   p50 and p95 latency (request, response and JSON parsing).
4. 8 readers: 8 threads, each with its own session, 25 requests each of limit=100 and
   either the same match[type] or match[id] of a random loaded object; p50 and p95.

Sizes: ATT&CK mobile 17.1 (2,148 objects, from ../shared/data) and the generated corpus
of bench/corpus.py (--objects, 100,000). medallion runs at the ATT&CK size only: its
memory backend deep-copies the whole collection several times per request and matches
every object against every manifest entry (parsing both timestamps each time) to answer
a first page, so at 100,000 objects a single page would take hours. It runs under
gunicorn with ONE sync worker, as the backend's state lives in the process.

fimishare runs on SQLite (its default store under FIMISHARE_HOME) and, when --postgres-url
(default: FIMISHARE_BENCH_POSTGRES_URL or FIMISHARE_TEST_POSTGRES_URL) names a server where
databases may be created, on a fresh PostgreSQL database per run.

Rates are given as median (best) of --repeat runs; latencies as the median over runs of
each run's p50 and p95. Results go to bench/results/taxii.json.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import orjson
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from corpus import generate  # noqa: E402

MOBILE = ROOT.parent / "shared" / "data" / "attack" / "mobile-attack-17.1.json"
BIN = Path(sys.executable).parent
FIMISHARE = str(BIN / "fimishare")
GUNICORN = str(BIN / "gunicorn")
TAXII = "application/taxii+json;version=2.1"
PAGE = 1000
FILTERED_REQUESTS = 50
READERS = 8
READER_REQUESTS = 25
READ_LIMIT = 100
TARGET_PAGING = 20_000
TARGET_FILTERED_P50_MS = 20
TARGET_FILTERED_AT = 100_000
TARGET_VS_MEDALLION = 100


@dataclass
class Target:
    base: str
    api_root: str  # path, such as /taxii2/cyber/
    collection: str
    user: str
    password: str
    # objects/s of `fimishare import` when --load import loaded the objects before the server started
    load_rate: float | None = None

    @property
    def objects_url(self) -> str:
        return f"{self.base}{self.api_root}collections/{self.collection}/objects/"

    def status_url(self, status_id: str) -> str:
        return f"{self.base}{self.api_root}status/{status_id}/"

    def session(self) -> requests.Session:
        session = requests.Session()
        session.auth = (self.user, self.password)
        session.headers["Accept"] = TAXII
        return session


# --------------------------------------------------------------------------- workload


def get(session: requests.Session, url: str, params: dict) -> dict:
    response = session.get(url, params=params)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} {params}: HTTP {response.status_code}: {response.text[:1000]}")
    return orjson.loads(response.content)


def post_all(session: requests.Session, target: Target, objects: list[dict], chunk: int) -> float:
    started = time.perf_counter()
    for start in range(0, len(objects), chunk):
        part = objects[start : start + chunk]
        response = session.post(target.objects_url, data=orjson.dumps({"objects": part}), headers={"Content-Type": TAXII})
        if response.status_code != 202:
            raise RuntimeError(f"POST {target.objects_url}: HTTP {response.status_code}: {response.text[:1000]}")
        status = orjson.loads(response.content)
        while status["status"] != "complete":
            time.sleep(0.05)
            status = get(session, target.status_url(status["id"]), {})
        if status["success_count"] != len(part):
            raise RuntimeError(
                f"POST of objects {start}..{start + len(part)}: {len(part)} sent, status "
                f"{orjson.dumps({k: v for k, v in status.items() if k != 'successes'})[:2000].decode()}"
            )
    return len(objects) / (time.perf_counter() - started)


def page_all(session: requests.Session, target: Target, loaded_ids: set[str]) -> float:
    params: dict = {"limit": PAGE}
    pages = []
    started = time.perf_counter()
    while True:
        page = get(session, target.objects_url, params)
        pages.append(page.get("objects", ()))
        # An empty envelope may leave out `more` (medallion answers {}).
        if not page.get("more"):
            break
        params["next"] = page["next"]
    elapsed = time.perf_counter() - started
    returned = [obj["id"] for objects in pages for obj in objects]
    missing = loaded_ids.difference(returned)
    if missing or len(set(returned)) != len(returned):
        raise RuntimeError(
            f"paging: {len(pages)} pages, {len(returned)} objects ({len(set(returned))} distinct), "
            f"{len(missing)} of the {len(loaded_ids)} loaded objects missing"
        )
    return len(returned) / elapsed


def percentiles_ms(latencies: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000


def timed_get(session: requests.Session, url: str, params: dict, expected: int) -> float:
    started = time.perf_counter()
    page = get(session, url, params)
    elapsed = time.perf_counter() - started
    if len(page.get("objects", ())) != expected:
        raise RuntimeError(f"GET {url} {params}: {len(page.get('objects', ()))} objects, expected {expected}")
    return elapsed


def workload(target: Target, objects: list[dict], filter_type: str, chunk: int) -> dict:
    session = target.session()
    load_rate = target.load_rate or post_all(session, target, objects, chunk)
    ids = [obj["id"] for obj in objects]
    paging = page_all(session, target, set(ids))
    filtered = {"match[type]": filter_type, "limit": READ_LIMIT}
    filtered_count = min(READ_LIMIT, sum(1 for obj in objects if obj["type"] == filter_type))
    single = [timed_get(session, target.objects_url, filtered, filtered_count) for _ in range(FILTERED_REQUESTS)]

    def reader(seed: int) -> list[float]:
        rng = random.Random(seed)
        session = target.session()
        latencies = []
        for _ in range(READER_REQUESTS):
            if rng.random() < 0.5:
                latencies.append(timed_get(session, target.objects_url, filtered, filtered_count))
            else:
                latencies.append(timed_get(session, target.objects_url, {"match[id]": rng.choice(ids), "limit": READ_LIMIT}, 1))
        return latencies

    with ThreadPoolExecutor(READERS) as pool:
        concurrent = [latency for latencies in pool.map(reader, range(READERS)) for latency in latencies]
    return {
        "load_objects_per_s": load_rate,
        "paging_objects_per_s": paging,
        "filtered_ms": percentiles_ms(single),
        "readers_ms": percentiles_ms(concurrent),
    }


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(args: list[str], env: dict) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done.stdout


@contextmanager
def serving(command: list[str], env: dict, log: Path, ready: Callable[[], bool]) -> Iterator[None]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{' '.join(command[:2])} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if ready():
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{' '.join(command[:2])} not ready after 120 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def medallion(scratch: Path) -> Iterator[Target]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    collection = str(uuid.uuid4())
    password = uuid.uuid4().hex
    directory = scratch / f"medallion-{uuid.uuid4().hex[:8]}"
    directory.mkdir()
    # The layout of medallion's own medallion_default_data.json: one API root, one empty
    # writable collection. The memory backend walks the data in key order to find an API
    # root by name, so the root's name must not be a key of /discovery (such as "title").
    data = {
        "/discovery": {"title": "medallion benchmark", "default": f"{base}/bench/", "api_roots": [f"{base}/bench/"]},
        "bench": {
            "information": {"title": "benchmark", "versions": [TAXII], "max_content_length": 100_000_000},
            "status": [],
            "collections": [
                {
                    "id": collection,
                    "title": "bench",
                    "can_read": True,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [],
                    "manifest": [],
                }
            ],
        },
    }
    (directory / "data.json").write_text(json.dumps(data))
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(directory / "data.json"),
        },
        "users": {"bench": password},
        "taxii": {"max_page_size": PAGE},
    }
    (directory / "config.json").write_text(json.dumps(config))
    target = Target(base, "/bench/", collection, "bench", password)
    command = [
        GUNICORN,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--worker-class",
        "sync",
        # A first unfiltered page of the ATT&CK bundle takes tens of seconds.
        "--timeout",
        "3600",
        "--no-control-socket",
        f"medallion:load_app({str(directory / 'config.json')!r})",
    ]

    def ready() -> bool:
        return requests.get(f"{base}/taxii2/", auth=("bench", password), headers={"Accept": TAXII}, timeout=10).status_code == 200

    with serving(command, dict(os.environ), directory / "server.log", ready):
        yield target


@contextmanager
def fimishare(scratch: Path, database_url: str | None, import_file: Path | None, count: int) -> Iterator[Target]:
    directory = scratch / f"fimishare-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, FIMISHARE_HOME=str(directory / "home"))
    env.pop("FIMISHARE_DATABASE_URL", None)
    if database_url:
        env["FIMISHARE_DATABASE_URL"] = database_url
    run([FIMISHARE, "init", "--org-name", "EEAS"], env)
    run([FIMISHARE, "orgs", "add", "JP-NISC"], env)
    run([FIMISHARE, "users", "add", "bench", "--org", "JP-NISC", "--role", "sync"], env)
    key = run([FIMISHARE, "users", "key", "bench"], env).strip()
    collection = run(
        [
            FIMISHARE,
            "collections",
            "add",
            "--root",
            "cyber",
            "--title",
            "bench",
            "--alias",
            "bench",
            "--read",
            "JP-NISC",
            "--write",
            "JP-NISC",
        ],
        env,
    ).strip()
    load_rate = None
    if import_file is not None:
        started = time.perf_counter()
        run([FIMISHARE, "import", str(import_file), "--org", "JP-NISC"], env)
        load_rate = count / (time.perf_counter() - started)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [FIMISHARE, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]

    def ready() -> bool:
        return requests.get(f"{base}/api/v1/health", timeout=10).status_code == 200

    with serving(command, env, directory / "server.log", ready):
        yield Target(base, "/taxii2/cyber/", collection, "bench", key, load_rate)


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
    name = f"fimishare_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def postgres_fimishare(scratch: Path, admin_url: str, import_file: Path | None, count: int) -> Iterator[Target]:
    with postgres_database(admin_url) as database_url, fimishare(scratch, database_url, import_file, count) as target:
        yield target


# --------------------------------------------------------------------------- report


def summary(row: dict) -> dict:
    runs = row["runs"]

    def rate(key: str) -> tuple[float, float]:
        values = [r[key] for r in runs]
        return statistics.median(values), max(values)

    def latency(key: str) -> tuple[float, float]:
        return statistics.median(r[key][0] for r in runs), statistics.median(r[key][1] for r in runs)

    return {
        "load_objects_per_s": rate("load_objects_per_s"),
        "paging_objects_per_s": rate("paging_objects_per_s"),
        "filtered_ms": latency("filtered_ms"),
        "readers_ms": latency("readers_ms"),
    }


def targets(rows: list[dict]) -> list[str]:
    lines = []
    for row in rows:
        if row["server"].startswith("fimishare"):
            paging = row["summary"]["paging_objects_per_s"][0]
            lines.append(
                f"paging >= {TARGET_PAGING:,} objects/s: {row['store']}, {row['data']}: {paging:,.0f} "
                f"({'met' if paging >= TARGET_PAGING else 'MISSED'})"
            )
            if row["objects"] >= TARGET_FILTERED_AT:
                p50 = row["summary"]["filtered_ms"][0]
                lines.append(
                    f"filtered GET p50 < {TARGET_FILTERED_P50_MS} ms at {TARGET_FILTERED_AT:,} objects: {row['store']}: "
                    f"{p50:.1f} ms ({'met' if p50 < TARGET_FILTERED_P50_MS else 'MISSED'})"
                )
    reference = {row["data"]: row["summary"]["paging_objects_per_s"][0] for row in rows if row["server"].startswith("medallion")}
    for row in rows:
        if row["server"].startswith("fimishare") and row["data"] in reference:
            ratio = row["summary"]["paging_objects_per_s"][0] / reference[row["data"]]
            lines.append(
                f"fimishare paging >= {TARGET_VS_MEDALLION}x medallion, {row['data']}: {row['store']}: {ratio:,.0f}x "
                f"({'met' if ratio >= TARGET_VS_MEDALLION else 'MISSED'})"
            )
    return lines


def print_report(rows: list[dict], target_lines: list[str], chunk: int) -> None:
    print(
        f"| server | store | data | load obj/s, median (best) | paging obj/s, median (best) | "
        f"filtered GET p50 / p95 ms | {READERS} readers p50 / p95 ms |"
    )
    print("|---|---|---|---:|---:|---:|---:|")
    for row in rows:
        s = row["summary"]
        print(
            f"| {row['server']} | {row['store']} | {row['data']} | {row['load']}: {s['load_objects_per_s'][0]:,.0f} "
            f"({s['load_objects_per_s'][1]:,.0f}) | {s['paging_objects_per_s'][0]:,.0f} ({s['paging_objects_per_s'][1]:,.0f}) | "
            f"{s['filtered_ms'][0]:.1f} / {s['filtered_ms'][1]:.1f} | {s['readers_ms'][0]:.1f} / {s['readers_ms'][1]:.1f} |"
        )
    print(
        f"\nPOST: envelopes of {chunk} objects; paging: limit={PAGE}; filtered GET: match[type] "
        f"(ATT&CK: x-mitre-tactic, 14 objects; corpus: campaign), limit={READ_LIMIT}, {FILTERED_REQUESTS} requests; "
        f"{READERS} readers: {READER_REQUESTS} requests each, half that filter, half match[id] of a random object."
    )
    if target_lines:
        print("\nTargets:\n" + "\n".join(f"- {line}" for line in target_lines))


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", default="medallion,fimishare", help="comma-separated: medallion, fimishare")
    parser.add_argument("--sizes", default="mobile,corpus", help="comma-separated: mobile (ATT&CK mobile 17.1), corpus (generated)")
    parser.add_argument("--objects", type=int, default=100_000, help="size of the generated corpus")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure, each on a fresh server")
    parser.add_argument("--chunk", type=int, default=500, help="objects per POST")
    parser.add_argument("--load", choices=("post", "import"), default="post", help="how fimishare is loaded")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("FIMISHARE_BENCH_POSTGRES_URL") or os.environ.get("FIMISHARE_TEST_POSTGRES_URL"),
        help="PostgreSQL server where fresh databases may be created (fimishare on PostgreSQL is skipped without one)",
    )
    args = parser.parse_args()
    servers = args.servers.split(",")
    sizes = args.sizes.split(",")
    if unknown := set(servers) - {"medallion", "fimishare"} | set(sizes) - {"mobile", "corpus"}:
        parser.error(f"unknown server or size: {', '.join(sorted(unknown))}")

    rows = []
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        datasets = []
        if "mobile" in sizes:
            datasets.append(("mobile", "ATT&CK mobile 17.1", orjson.loads(MOBILE.read_bytes())["objects"], "x-mitre-tactic"))
        if "corpus" in sizes:
            datasets.append(("corpus", "generated corpus", generate(args.objects), "campaign"))
        for size, label, objects, filter_type in datasets:
            bundle = scratch / f"{size}.json"
            if args.load == "import" and "fimishare" in servers:
                bundle.write_bytes(orjson.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}))
            import_file = bundle if args.load == "import" else None
            fimishare_load = "POST" if import_file is None else "import"
            starts: list[tuple[str, str, str, Callable[[], AbstractContextManager[Target]]]] = []
            if "medallion" in servers and size == "mobile":
                starts.append((f"medallion {version('medallion')}", "memory", "POST", lambda: medallion(scratch)))
            if "fimishare" in servers:
                starts.append(
                    (
                        f"fimishare {version('fimishare')}",
                        "SQLite",
                        fimishare_load,
                        functools.partial(fimishare, scratch, None, import_file, len(objects)),
                    )
                )
                if args.postgres_url:
                    starts.append(
                        (
                            f"fimishare {version('fimishare')}",
                            "PostgreSQL",
                            fimishare_load,
                            functools.partial(postgres_fimishare, scratch, args.postgres_url, import_file, len(objects)),
                        )
                    )
            for server, store, load, start in starts:
                runs = []
                for attempt in range(args.repeat):
                    started = time.perf_counter()
                    with start() as target:
                        runs.append(workload(target, objects, filter_type, args.chunk))
                    print(
                        f"{server}, {store}, {label}: run {attempt + 1}/{args.repeat} in {time.perf_counter() - started:.0f} s",
                        file=sys.stderr,
                        flush=True,
                    )
                row = {
                    "server": server,
                    "store": store,
                    "data": f"{label} ({len(objects):,} objects)",
                    "objects": len(objects),
                    "load": load,
                    "filter_type": filter_type,
                    "runs": runs,
                }
                row["summary"] = summary(row)
                rows.append(row)
    target_lines = targets(rows)
    print_report(rows, target_lines, args.chunk)
    elapsed = time.perf_counter() - began
    print(f"\n{elapsed:.0f} s in all", file=sys.stderr)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "taxii.json").write_text(
        json.dumps(
            {
                "arguments": {k: v for k, v in vars(args).items() if k != "postgres_url"},
                "rows": rows,
                "targets": target_lines,
                "seconds": elapsed,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
