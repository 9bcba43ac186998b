"""Retrieval quality on graded needs: Hit@1, Hit@5, nDCG@5 and MRR@10 for BM25 only, dense only and
the shipped hybrid, side by side in one run, then the hybrid's nDCG@5 margin over the better baseline
with a paired bootstrap interval: on a few dozen needs, one need more or less moves the mean by
points, and the interval says how far the margin can be trusted.

With needs translated from English ones (--queries ../shared/datasets/dev-multilingual.json: each has its
"english" original and "lang"), it scores the translations and the originals in the same run, adds the
multilingual encoder alone and the hybrid without it, and prints the translations' nDCG@5 over the originals'.

Usage: python bench/quality.py --catalog ../shared/datasets/amo-catalog.json
                              --queries ../shared/datasets/dev-queries.json
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

from common import SHARED, import_catalog, scratch_django


def ndcg(ranked: list[str], relevant: dict[str, int], k: int) -> float:
    gains = [2 ** relevant.get(slug, 0) - 1 for slug in ranked[:k]]
    dcg = sum(gain / math.log2(position + 2) for position, gain in enumerate(gains))
    ideal = sorted((2**grade - 1 for grade in relevant.values()), reverse=True)[:k]
    best = sum(gain / math.log2(position + 2) for position, gain in enumerate(ideal))
    return dcg / best if best else 0.0


def metrics(ranked: list[str], relevant: dict[str, int]) -> dict[str, float]:
    first = next((position for position, slug in enumerate(ranked[:10], 1) if slug in relevant), None)
    return {
        "Hit@1": float(bool(ranked[:1]) and ranked[0] in relevant),
        "Hit@5": float(any(slug in relevant for slug in ranked[:5])),
        "nDCG@5": ndcg(ranked, relevant, 5),
        "MRR@10": 1 / first if first else 0.0,
    }


def bootstrap_interval(differences: list[float], *, samples: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """95% interval of the mean of per-need differences, resampling needs with replacement."""
    rng = random.Random(seed)
    means = sorted(sum(rng.choices(differences, k=len(differences))) / len(differences) for _ in range(samples))
    return means[int(0.025 * samples)], means[int(0.975 * samples) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--catalog", type=Path, default=SHARED / "amo-catalog.json")
    parser.add_argument("--queries", type=Path, default=SHARED / "dev-queries.json")
    parser.add_argument("--verbose", action="store_true", help="Print each query's top 5 for the hybrid.")
    args = parser.parse_args()
    scratch_django()
    from retrieval.query import Filters
    from retrieval.recommend import dense_candidates, lexical_candidates, recommend

    start = time.perf_counter()
    run = import_catalog(args.catalog)
    print(f"imported and indexed {run.created} add-ons in {time.perf_counter() - start:.1f} s")
    cases = json.loads(args.queries.read_text())["single_turn"]
    none = frozenset()
    systems = {
        "BM25 only": lambda q: [hit.slug for hit in lexical_candidates(q, filters=Filters(), exclude=none, limit=10)],
        "dense only": lambda q: dense_candidates(q, filters=Filters(), exclude=none, limit=10),
        "hybrid (shipped)": lambda q: [r.addon.slug for r in recommend(q, k=10)],
    }
    if any("english" in case for case in cases):
        translations(cases, systems, verbose=args.verbose)
        return
    per_need = table(cases, systems, verbose=args.verbose)
    baseline = max(["BM25 only", "dense only"], key=lambda label: sum(per_need[label]))
    differences = [ours - theirs for ours, theirs in zip(per_need["hybrid (shipped)"], per_need[baseline], strict=True)]
    low, high = bootstrap_interval(differences)
    print(
        f"hybrid nDCG@5 minus {baseline}: {sum(differences) / len(differences):+.3f} "
        f"(95% paired bootstrap interval {low:+.3f} to {high:+.3f})"
    )


def table(cases: list[dict], systems: dict, *, verbose: bool = False) -> dict[str, list[float]]:
    """Print each system's mean metrics over `cases`; return each system's nDCG@5 per need."""
    names = ["Hit@1", "Hit@5", "nDCG@5", "MRR@10"]
    print(f"{len(cases)} queries\n{'system':<28}" + "".join(f"{name:>9}" for name in names))
    per_need: dict[str, list[float]] = {}
    for label, system in systems.items():
        totals = dict.fromkeys(names, 0.0)
        for case in cases:
            ranked = system(case["query"])
            scores = metrics(ranked, case["relevant"])
            for name, value in scores.items():
                totals[name] += value
            per_need.setdefault(label, []).append(scores["nDCG@5"])
            if verbose and label.startswith("hybrid (shipped)"):
                marks = [
                    f"{slug}{'**' if case['relevant'].get(slug) == 2 else '*' if slug in case['relevant'] else ''}"
                    for slug in ranked[:5]
                ]
                print(f"  {case['id']}: {' '.join(marks)}")
        print(f"{label:<28}" + "".join(f"{totals[name] / len(cases):>9.3f}" for name in names))
    return per_need


def translations(cases: list[dict], systems: dict, *, verbose: bool) -> None:
    """Needs translated from English dev needs (same judgments): every system on the translations and on their
    English originals, in one run, with the multilingual encoder alone and the hybrid without it as baselines."""
    from django.test import override_settings

    from retrieval.query import Filters
    from retrieval.recommend import dense_candidates, recommend

    def english_only(query: str) -> list[str]:
        with override_settings(MULTILINGUAL_MODEL=""):
            return [r.addon.slug for r in recommend(query, k=10)]

    systems = {
        **systems,
        "multilingual only": lambda q: dense_candidates(q, filters=Filters(), exclude=frozenset(), multilingual=True),
        "hybrid without multilingual": english_only,
    }
    originals = list({case["english_id"]: {**case, "query": case["english"]} for case in cases}.values())
    print("translations")
    foreign = table(cases, systems, verbose=verbose)
    print("their English originals")
    english = table(originals, systems, verbose=verbose)
    for label in ("hybrid without multilingual", "hybrid (shipped)"):
        ours, theirs = sum(foreign[label]) / len(cases), sum(english[label]) / len(originals)
        scores: dict[str, list[float]] = {}
        for case, score in zip(cases, foreign[label], strict=True):
            scores.setdefault(case["lang"], []).append(score)
        languages = " ".join(f"{language} {sum(s) / len(s):.2f}" for language, s in sorted(scores.items()))
        print(f"{label}: nDCG@5 translations {ours:.3f} / English {theirs:.3f} = {ours / theirs:.2f} ({languages})")


if __name__ == "__main__":
    main()
