"""Ingestion figures: import time for the shared AMO catalogue (database, then index embedding, then a
repeat import) and HTML parse throughput in pages per second.

Usage: python bench/ingest.py [--catalog ../shared/datasets/amo-catalog.json] [--pages DIR_OR_FILE ...]
Runs against a scratch database and index, never var/.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from common import REPO, SHARED, import_catalog, scratch_django

DEFAULT_PAGES = [SHARED / "amo-pages", REPO / "tests" / "scraper" / "fixtures"]


def parse_throughput(paths: list[Path], min_seconds: float = 3.0) -> tuple[int, int, float]:
    """Parse every page repeatedly for at least min_seconds; return page parses, bytes and seconds."""
    from scraper.amo_html import parse_page
    from scraper.services import html_files

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
    parser.add_argument("--catalog", type=Path, default=SHARED / "amo-catalog.json")
    parser.add_argument("--pages", type=Path, nargs="*", default=DEFAULT_PAGES)
    args = parser.parse_args()
    scratch_django()
    from retrieval.sync import index_sync

    if args.catalog.exists():
        start = time.perf_counter()
        run = import_catalog(args.catalog, index=False)  # time the database part alone
        first = time.perf_counter() - start
        print(
            f"import {args.catalog.name} (database): {first:.2f} s for {run.created} add-ons "
            f"({run.created / first:.0f} add-ons/s), skipped {run.skipped}"
        )
        start = time.perf_counter()
        report = index_sync()
        embed = time.perf_counter() - start
        print(
            f"index sync (embedding {report.embedded}): {embed:.2f} s ({report.embedded / embed:.0f} add-ons/s); "
            f"import with index, as `import_catalog` runs it embedded: {first + embed:.2f} s"
        )
        start = time.perf_counter()
        run = import_catalog(args.catalog, index=False)
        repeat = time.perf_counter() - start
        print(
            f"re-import (nothing changed): {repeat:.2f} s, unchanged {run.unchanged}, changed "
            f"{run.created + run.updated + run.deactivated} (ratio to first import: {repeat / first:.2f})"
        )
    else:
        print(f"import: skipped, {args.catalog} not found")

    parsed, size, seconds = parse_throughput(args.pages)
    if parsed:
        print(f"HTML parse: {parsed / seconds:.1f} pages/s, {size / seconds / 1e6:.2f} MB/s over {parsed} parses")
    else:
        print("HTML parse: skipped, no pages found")


if __name__ == "__main__":
    main()
