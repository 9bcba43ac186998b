"""Ingestion figures: import time for the shared AMO catalogue (first and repeat) and HTML parse throughput.

Usage: python bench/ingest.py [--catalog ../shared/datasets/amo-catalog.json] [--pages DIR_OR_FILE ...]
Runs against a scratch SQLite database so it never touches var/db.sqlite3.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SCRATCH = tempfile.mkdtemp(prefix="concierge-bench-")
os.environ["DATABASE_URL"] = f"sqlite:///{SCRATCH}/bench.sqlite3"
os.environ["VAR_DIR"] = SCRATCH
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from scraper.amo_html import parse_page  # noqa: E402
from scraper.models import ScrapeRun  # noqa: E402
from scraper.services import catalog_import, html_files, scrape_run_create  # noqa: E402

DEFAULT_CATALOG = REPO.parent / "shared" / "datasets" / "amo-catalog.json"
DEFAULT_PAGES = [REPO.parent / "shared" / "datasets" / "amo-pages", REPO / "tests" / "scraper" / "fixtures"]


def timed_import(catalog: Path) -> tuple[float, ScrapeRun]:
    run = scrape_run_create(kind=ScrapeRun.Kind.IMPORT, params={"sources": [str(catalog)], "full": True})
    start = time.perf_counter()
    run = catalog_import(run_id=run.pk)
    return time.perf_counter() - start, run


def parse_throughput(paths: list[Path], min_seconds: float = 3.0) -> tuple[int, int, float]:
    """Parse every page repeatedly for at least min_seconds; return pages, bytes and seconds."""
    pages = [file.read_bytes() for path in paths if path.exists() for file in html_files(path)]
    if not pages:
        return 0, 0, 0.0
    parsed = size = 0
    start = time.perf_counter()
    while time.perf_counter() - start < min_seconds:
        for page in pages:
            parse_page(page)
            parsed += 1
            size += len(page)
    return parsed, size, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--catalog", type=Path, default=DEFAULT_CATALOG)
    parser.add_argument("--pages", type=Path, nargs="*", default=DEFAULT_PAGES)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)

    if args.catalog.exists():
        first, run = timed_import(args.catalog)
        print(f"import {args.catalog.name}: {first:.2f} s for {run.created} add-ons "
              f"({run.created / first:.0f} add-ons/s), skipped {run.skipped}")
        repeat, run = timed_import(args.catalog)
        print(f"re-import (all unchanged): {repeat:.2f} s, unchanged {run.unchanged}, changed "
              f"{run.created + run.updated + run.deactivated} (ratio to first import: {repeat / first:.2f})")
    else:
        print(f"import: skipped, {args.catalog} not found")

    parsed, size, seconds = parse_throughput(args.pages)
    if parsed:
        print(f"HTML parse: {parsed / seconds:.1f} pages/s, {size / seconds / 1e6:.2f} MB/s "
              f"over {parsed} page parses of {len({str(p) for p in args.pages})} source path(s)")
    else:
        print("HTML parse: skipped, no pages found")


if __name__ == "__main__":
    main()
