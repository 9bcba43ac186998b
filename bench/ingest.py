"""Ingestion figures: import time for the shared AMO catalogue (database, then index embedding, then a
repeat import), the encoder's documents per second beside sentence-transformers' own encode (torch,
batch 64: the encoder before ONNX Runtime) on the same documents, and HTML parse throughput.

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


def encoder_throughput() -> tuple[float, float]:
    """Documents per second for the index's encoder and for sentence-transformers on torch, same texts."""
    from marketplace.models import Addon
    from retrieval.documents import addon_text
    from retrieval.embedder import embeddings

    texts = [addon_text(addon) for addon in Addon.objects.prefetch_related("categories")]
    encoder = embeddings()
    figures = []
    for encode in (encoder.embed_documents, lambda batch: encoder.model.encode(batch, batch_size=64)):
        encode(texts[:16])  # warm
        start = time.perf_counter()
        encode(texts)
        figures.append(len(texts) / (time.perf_counter() - start))
    return figures[0], figures[1]


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
        from retrieval.embedder import embeddings

        start = time.perf_counter()
        embeddings()
        print(f"encoder load (with its one-time ONNX export): {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        report = index_sync()
        embed = time.perf_counter() - start
        print(
            f"index sync (embedding {report.embedded}): {embed:.2f} s ({report.embedded / embed:.0f} add-ons/s); "
            f"import with index, as `import_catalog` runs it embedded: {first + embed:.2f} s"
        )
        onnx, torch = encoder_throughput()
        print(
            f"encoder: {onnx:.0f} documents/s (ONNX Runtime, shortest first, batches of 8); sentence-transformers "
            f"on torch, batch 64: {torch:.0f} documents/s (ratio {onnx / torch:.2f})"
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
