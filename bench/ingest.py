"""Ingest throughput of `fimishare import` with full validation, on SQLite and PostgreSQL,
beside the OASIS validator on the same bundle.

    make bench        (or: .venv/bin/python bench/ingest.py [--objects 100000])

Two figures per input and database:
- command: objects / wall time of the whole `fimishare import FILE` command, interpreter
  start and imports included (about a second here, which dominates small bundles);
- pipeline: objects / time of the ingest pipeline itself (read, parse, validate, profile,
  store), measured in a process that has already started, as in a running server.

PostgreSQL is measured when FIMISHARE_BENCH_POSTGRES_URL or FIMISHARE_TEST_POSTGRES_URL
names a server (make bench starts one).

Each figure is measured --repeat times on fresh stores and given as median (best): on this
shared 2-core machine the same import's CPU time varies by a third from run to run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from corpus import generate  # noqa: E402

MOBILE = ROOT.parent / "shared" / "data" / "attack" / "mobile-attack-17.1.json"
FIMISHARE = str(Path(sys.executable).with_name("fimishare"))

_PIPELINE = """
import sys, time
from pathlib import Path
from fimishare.config import Settings
from fimishare.node import Node
from fimishare.store.objects import Provenance
node = Node(Settings.from_env())
source = Provenance(node.store.directory.node_organisation().id, "import")
node.pipeline.validator.warm_up()
started = time.perf_counter()
report = node.pipeline.ingest_file(Path(sys.argv[1]), source)
elapsed = time.perf_counter() - started
assert report.ok and report.stored == int(sys.argv[2]), (report.stored, report.errors()[:3], report.input_errors)
print(elapsed)
"""


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:3])} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done


def rates(path: Path, count: int, new_database, scratch: Path) -> tuple[float, float]:
    env = dict(os.environ, FIMISHARE_HOME=str(scratch / uuid.uuid4().hex), FIMISHARE_DATABASE_URL=new_database())
    run([FIMISHARE, "init"], env)
    started = time.perf_counter()
    run([FIMISHARE, "import", str(path)], env)
    command = count / (time.perf_counter() - started)
    env = dict(os.environ, FIMISHARE_HOME=str(scratch / uuid.uuid4().hex), FIMISHARE_DATABASE_URL=new_database())
    run([FIMISHARE, "init"], env)
    pipeline = count / float(run([sys.executable, "-c", _PIPELINE, str(path), str(count)], env).stdout.strip())
    return command, pipeline


def oasis_rate(path: Path) -> float:
    from stix2validator import ValidationOptions, validate_instance

    objects = orjson.loads(path.read_bytes())["objects"]
    options = ValidationOptions(version="2.1")
    started = time.perf_counter()
    for obj in objects:
        validate_instance(obj, options)
    return len(objects) / (time.perf_counter() - started)


def postgres_databases():
    admin_url = os.environ.get("FIMISHARE_BENCH_POSTGRES_URL") or os.environ.get("FIMISHARE_TEST_POSTGRES_URL")
    if not admin_url:
        return None
    admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")

    def fresh() -> str:
        name = f"fimishare_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        return make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    return fresh


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=100_000, help="size of the generated corpus")
    parser.add_argument("--repeat", type=int, default=3, help="measurements per figure")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        corpus = scratch / "corpus.json"
        corpus.write_bytes(orjson.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": generate(args.objects)}))
        inputs = []
        oasis = None
        if MOBILE.exists():
            inputs.append(("ATT&CK mobile 17.1", MOBILE, len(orjson.loads(MOBILE.read_bytes())["objects"])))
            oasis = oasis_rate(MOBILE)
        inputs.append(("generated corpus", corpus, args.objects))
        databases = [("SQLite", lambda: f"sqlite:///{scratch / uuid.uuid4().hex}.db")]
        if (fresh_postgres := postgres_databases()) is not None:
            databases.append(("PostgreSQL", fresh_postgres))
        for label, path, count in inputs:
            for database, new_database in databases:
                runs = [rates(path, count, new_database, scratch) for _ in range(args.repeat)]
                commands, pipelines = [r[0] for r in runs], [r[1] for r in runs]
                rows.append(
                    (
                        f"{label} ({count:,} objects)",
                        database,
                        statistics.median(commands),
                        max(commands),
                        statistics.median(pipelines),
                        max(pipelines),
                    )
                )
    print(
        "| input | store | `fimishare import` objects/s, median (best) | pipeline objects/s, median (best) "
        "| pipeline median vs OASIS validator alone |"
    )
    print("|---|---|---:|---:|---:|")
    for label, database, command, command_best, pipeline, pipeline_best in rows:
        ratio = f"{pipeline / oasis:.0f}x" if oasis else "-"
        print(f"| {label} | {database} | {command:,.0f} ({command_best:,.0f}) | {pipeline:,.0f} ({pipeline_best:,.0f}) | {ratio} |")
    if oasis:
        print(f"| ATT&CK mobile 17.1 | OASIS stix2-validator alone | | {oasis:,.0f} | 1x |")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "ingest.json").write_text(json.dumps({"rows": rows, "oasis_objects_per_s": oasis}, indent=2))


if __name__ == "__main__":
    main()
