"""Ingest throughput of `fimishare import` with full validation, on SQLite and PostgreSQL,
beside the OASIS validator on the same bundle.

    make bench            (or: .venv/bin/python bench/ingest.py [--objects 100000])

PostgreSQL is measured when FIMISHARE_BENCH_POSTGRES_URL or FIMISHARE_TEST_POSTGRES_URL
names a server (make bench starts one).
"""
from __future__ import annotations

import argparse
import json
import os
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


def import_rate(path: Path, objects: int, database_url: str, home: Path) -> float:
    env = dict(os.environ, FIMISHARE_HOME=str(home), FIMISHARE_DATABASE_URL=database_url)
    subprocess.run([FIMISHARE, "init"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    done = subprocess.run([FIMISHARE, "import", str(path)], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"fimishare import {path} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    return objects / elapsed


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
    args = parser.parse_args()
    results = {}
    fresh_postgres = postgres_databases()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        corpus = scratch / "corpus.json"
        corpus.write_bytes(orjson.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": generate(args.objects)}))
        inputs = {f"generated corpus ({args.objects:,} objects)": (corpus, args.objects)}
        if MOBILE.exists():
            inputs = {"ATT&CK mobile 17.1 (2,148 objects)": (MOBILE, len(orjson.loads(MOBILE.read_bytes())["objects"])), **inputs}
            results["OASIS stix2-validator alone, ATT&CK mobile 17.1"] = oasis_rate(MOBILE)
        for label, (path, count) in inputs.items():
            home = scratch / f"home-{uuid.uuid4().hex[:6]}"
            results[f"fimishare import, SQLite, {label}"] = import_rate(path, count, f"sqlite:///{home / 'fimishare.db'}", home)
            if fresh_postgres:
                results[f"fimishare import, PostgreSQL, {label}"] = import_rate(path, count, fresh_postgres(), home)
    oasis = results.get("OASIS stix2-validator alone, ATT&CK mobile 17.1")
    print(f"{'measurement':72} {'objects/s':>10}  vs OASIS")
    for label, rate in results.items():
        ratio = f"{rate / oasis:6.1f}x" if oasis else ""
        print(f"{label:72} {rate:10,.0f}  {ratio}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "ingest.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
