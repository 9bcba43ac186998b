"""Recommendation cost: index build time for the shared catalogue, recommend() latency p50/p95
in-process and over HTTP (daphne), then the same at ten times the catalogue (synthetic variants).

Usage: python bench/latency.py [--catalog ../shared/datasets/amo-catalog.json] [--repeats 3]
The 10x variants copy each add-on nine times with a suffixed slug and reuse its embedding plus a little
noise, so the figure shows how search cost grows with size, not embedding cost (printed at 1x).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from common import SHARED, import_catalog, percentiles, scratch_django, serve


def in_process(queries: list[str], *, cold: bool = False) -> list[float]:
    """recommend() per query; `cold`: with the per-query caches (embeddings, typo lookups) emptied before each,
    the cost of a need never seen before."""
    from retrieval.embedder import _query_vector
    from retrieval.lexical import lexical_index
    from retrieval.recommend import recommend

    recommend(queries[0], k=5)  # loaded once per process: model, BM25
    samples = []
    for query in queries:
        if cold:
            _query_vector.cache_clear()
            lexical_index()._corrections.clear()
        start = time.perf_counter()
        recommend(query, k=5)
        samples.append(time.perf_counter() - start)
    return samples


def unseen_with_torch_queries(queries: list[str]) -> list[float]:
    """The baseline: needs never seen, their embedding by sentence-transformers on torch (the query encoder
    before ONNX Runtime), everything else as shipped."""
    from django.conf import settings

    from retrieval.embedder import _batcher, embeddings

    encoder = embeddings()
    batcher = _batcher(settings.EMBEDDING_MODEL)
    shipped = batcher.encode
    batcher.encode = lambda texts: encoder.model.encode(texts, normalize_embeddings=True).tolist()
    try:
        return in_process(queries, cold=True)
    finally:
        batcher.encode = shipped


def over_http(queries: list[str]) -> list[float]:
    import httpx

    # The scratch settings this process uses, and no API throttle: one client asks every query.
    server, base = serve({**os.environ, "DJANGO_SETTINGS_MODULE": "marketplace.settings", "API_RATE_LIMIT": "1000000"})
    url = f"{base}/api/recommend"
    try:
        with httpx.Client(timeout=60) as client:
            client.get(url, params={"q": queries[0]}).raise_for_status()  # warm: model, BM25
            samples = []
            for query in queries:
                start = time.perf_counter()
                client.get(url, params={"q": query, "k": 5}).raise_for_status()
                samples.append(time.perf_counter() - start)
            return samples
    finally:
        server.terminate()
        server.wait(timeout=30)


def grow_tenfold() -> float:
    """Nine synthetic variants of every add-on, in the database and the index; returns seconds to insert."""
    import numpy as np

    from marketplace.models import Addon
    from retrieval.store import vector_store

    store = vector_store()
    collection = store._collection
    base = collection.get(include=["embeddings", "metadatas", "documents"])
    rng = np.random.default_rng(7)
    start = time.perf_counter()
    originals = list(Addon.objects.all())
    for copy in range(1, 10):
        clones = []
        for addon in originals:
            addon.pk = None
            addon.amo_id = None
            addon.slug = f"{addon.slug.rsplit('--v', 1)[0]}--v{copy}"
            clones.append(Addon(**{f.attname: getattr(addon, f.attname) for f in Addon._meta.concrete_fields}))
        Addon.objects.bulk_create(clones, batch_size=1000)
        vectors = np.asarray(base["embeddings"]) + rng.normal(0, 0.01, (len(base["ids"]), len(base["embeddings"][0])))
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        ids = [f"{slug}--v{copy}" for slug in base["ids"]]
        metadatas = [{**meta, "slug": f"{meta['slug']}--v{copy}"} for meta in base["metadatas"]]
        for at in range(0, len(ids), 2000):
            collection.add(
                ids=ids[at : at + 2000],
                embeddings=vectors[at : at + 2000].tolist(),
                metadatas=metadatas[at : at + 2000],
                documents=base["documents"][at : at + 2000],
            )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--catalog", type=Path, default=SHARED / "amo-catalog.json")
    parser.add_argument("--queries", type=Path, default=SHARED / "dev-queries.json")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    scratch_django()
    from marketplace.models import Addon
    from retrieval.sync import index_sync

    import_catalog(args.catalog, index=False)
    start = time.perf_counter()
    report = index_sync()
    print(f"index build, {report.embedded} add-ons: {time.perf_counter() - start:.1f} s")
    dev = json.loads(args.queries.read_text())
    queries = [case["query"] for case in dev["single_turn"]] + [case["opening"] for case in dev["multi_turn"]]
    queries = queries * args.repeats
    one_x = (in_process(queries), over_http(queries))
    cold = in_process(queries, cold=True)
    baseline = unseen_with_torch_queries(queries)
    grow = grow_tenfold()
    print(f"10x catalogue: {Addon.objects.count()} add-ons, synthetic rows and vectors inserted in {grow:.1f} s")
    ten_x = (in_process(queries), over_http(queries))
    ten_cold = in_process(queries, cold=True)
    ten_baseline = unseen_with_torch_queries(queries)
    for label, (local, http), unseen, torch_unseen in (
        ("1x", one_x, cold, baseline),
        ("10x", ten_x, ten_cold, ten_baseline),
    ):
        print(f"{label:>4} in-process recommend: {percentiles(local)}")
        print(f"{label:>4} in-process, every need unseen (caches emptied): {percentiles(unseen)}")
        print(
            f"{label:>4} the same, query embedded by sentence-transformers on torch (baseline): "
            f"{percentiles(torch_unseen)} (ratio {statistics.median(unseen) / statistics.median(torch_unseen):.2f})"
        )
        print(f"{label:>4} over HTTP /api/recommend: {percentiles(http)}")
    print(
        f"growth 10x/1x (p50): in-process {statistics.median(ten_x[0]) / statistics.median(one_x[0]):.2f}x, "
        f"HTTP {statistics.median(ten_x[1]) / statistics.median(one_x[1]):.2f}x; "
        f"unseen/cached at 1x: {statistics.median(cold) / statistics.median(one_x[0]):.2f}x"
    )


if __name__ == "__main__":
    main()
