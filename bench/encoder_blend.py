"""How much of the base encoder to keep in a fine-tuned one (ENCODER_TUNING_BASE_SHARE, retrieval.tuning.weights_blend).

One fine-tuning run as admin's job trains it (the pairs of simulated visitors' needs and of the listings, the
held-out fifth of the add-ons kept out), then each blend of its weights with the base model's, scored by the
encoder alone over the whole catalogue (nDCG@5 / Hit@5): the held-out paraphrases, unvisited targets and dev
needs of bench/learning.py, and the held-out visitors' needs the job judges a version on. The base model and
the fully tuned one are the two ends of the same run.

Usage: python bench/encoder_blend.py [--catalog ../shared/datasets/amo-catalog.json] [--shares 0,0.3,0.5,0.7]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from common import SHARED, import_catalog, scratch_django
from learning import need_sets

Needs = list[tuple[str, dict[str, int]]]


def scores(model_path: str, documents: dict[str, str], sets: dict[str, Needs]) -> dict[str, tuple[float, float]]:
    """Mean nDCG@5 and Hit@5 of each set, ranking every document by cosine to the need."""
    import numpy as np
    from quality import metrics
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_path, device="cpu")
    slugs = list(documents)
    vectors = model.encode([documents[slug] for slug in slugs], batch_size=64, normalize_embeddings=True)
    scored = {}
    for name, needs in sets.items():
        queries = model.encode([need for need, _ in needs], batch_size=64, normalize_embeddings=True)
        ranked = [[slugs[at] for at in np.argsort(-(vectors @ query))[:10]] for query in queries]
        results = [metrics(ranking, relevant) for ranking, (_, relevant) in zip(ranked, needs, strict=True)]
        scored[name] = (statistics.mean(r["nDCG@5"] for r in results), statistics.mean(r["Hit@5"] for r in results))
    return scored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--catalog", type=Path, default=SHARED / "amo-catalog.json")
    parser.add_argument("--queries", type=Path, default=SHARED / "dev-queries.json")
    parser.add_argument("--targets", type=int, default=600, help="add-ons drawn (those with two clauses are used)")
    parser.add_argument("--shares", default="0,0.3,0.5,0.7", help="comma-separated shares of the base weights")
    args = parser.parse_args()
    scratch_django()
    if args.catalog.exists():
        import_catalog(args.catalog, index=False)
    else:  # a fresh machine without the shared data: the demo catalogue
        from marketplace.services import demo_catalog_load

        demo_catalog_load()
    from django.conf import settings
    from sentence_transformers import SentenceTransformer

    from marketplace.models import Addon
    from retrieval.documents import addon_text
    from retrieval.encoder_versions import training_pairs
    from retrieval.services import evidence_record
    from retrieval.tuning import TuningConfig, finetune, held_out, weights_blend

    learned, sets = need_sets(args.targets, args.queries)
    for case in learned:  # one visitor per wording found the target and said so
        for fact in ("feature", "other"):
            client = f"visitor-{fact}-{case['target']}"
            evidence_record(need=case["facts"][fact], slug=case["target"], signal="satisfied", session=client,
                            client=client)  # fmt: skip
    addons = Addon.objects.filter(is_active=True).prefetch_related("categories")
    documents = {addon.slug: addon_text(addon) for addon in addons}
    pairs = training_pairs(documents)
    train = [(pair.need, documents[pair.slug]) for pair in pairs if not held_out(pair.slug)]
    sets["held-out visitors' needs"] = [
        (pair.need, {pair.slug: 2}) for pair in pairs if pair.source == "visitors" and held_out(pair.slug)
    ]
    print(", ".join(f"{len(needs)} {name}" for name, needs in sets.items()), f"; {len(train)} training pairs")
    print(f"{'base share':<12}" + "".join(f"{name:>28}" for name in sets))
    base = settings.EMBEDDING_MODEL

    def show(label: str, path: str) -> None:
        print(f"{label:<12}" + "".join(f"{n:>21.3f} / {h:.2f}" for n, h in scores(path, documents, sets).values()))

    show("base model", base)
    config = TuningConfig(
        steps=settings.ENCODER_TUNING_STEPS,
        batch_size=settings.ENCODER_TUNING_BATCH,
        learning_rate=settings.ENCODER_TUNING_LEARNING_RATE,
    )
    with tempfile.TemporaryDirectory() as scratch:
        tuned = finetune(base, train, Path(scratch) / "tuned", config)
        base_weights = SentenceTransformer(base, device="cpu").state_dict()
        for share in map(float, args.shares.split(",")):
            model = SentenceTransformer(str(tuned), device="cpu")
            weights_blend(model, base_weights, share)
            model.save(str(Path(scratch) / f"blend-{share}"))
            show(f"{share:g}", str(Path(scratch) / f"blend-{share}"))


if __name__ == "__main__":
    main()
