"""Files and feeds in the formats partners keep, turned into STIX objects for the ingest pipeline.

A feed reader only converts: what it makes goes through the one ingest pipeline like
anything posted, and is judged there.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from fimishare.feeds.meta import CsvFeedError, read_csv_feed
from fimishare.ingest.pipeline import IngestPipeline, IngestReport, Progress
from fimishare.store.objects import Provenance

__all__ = ["CsvFeedError", "expand_paths", "import_file", "import_paths", "read_csv_feed"]

# What an import finds below a directory: STIX JSON and CSV feeds.
SUFFIXES = (".json", ".csv")


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files to import: the paths given, and the .json and .csv files below any directory, in a stable order."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES))
        else:
            found.append(path)
    return found


def import_file(pipeline: IngestPipeline, path: Path, provenance: Provenance, progress: Progress | None = None) -> IngestReport:
    """One file through the pipeline: a CSV feed converted first, anything else read as STIX."""
    if path.suffix.lower() != ".csv":
        return pipeline.ingest_file(path, provenance, progress)
    try:
        items = read_csv_feed(path)
    except (CsvFeedError, OSError) as error:
        return IngestReport(input_errors=[str(error)])
    return pipeline.ingest_objects(items, provenance, source=str(path), progress=progress)


def import_paths(pipeline: IngestPipeline, paths: Iterable[Path], provenance: Provenance, progress: Progress | None = None) -> IngestReport:
    report = IngestReport()
    for path in expand_paths(paths):
        report.extend(import_file(pipeline, path, provenance, progress))
    return report
