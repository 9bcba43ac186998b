"""Fine-tuning the sentence encoder on what visitors' needs found, and judging it on needs it never saw.

Pairs are (a need, the add-on that satisfied it): from visitors (they said "That's it!", voted the card up or
opened it) and from the catalogue itself (a need written from the add-on's own summary, so the encoder keeps
its grip on every listing, not only the visited ones). Training pulls each need towards its add-on's text and
away from the other add-ons of its batch (in-batch negatives, the loss sentence-transformers calls
MultipleNegativesRankingLoss), in a short loop of our own on CPU.

Judging: pairs whose add-on falls in the held-out share (by a hash of its slug) never train; each encoder ranks
the whole catalogue for their needs, and nDCG@5, Hit@5 and MRR@10 of the add-on that satisfied the need are
compared: the serving encoder against the candidate, in the same run. Visitors' needs and the catalogue's are
scored apart: needs written from listings are worded like listings, and an encoder trained on them wins on them
while it can lose on needs people write (bench/learning.py measured dev needs -0.094 for a version that gained
+0.086 on held-out listing needs), so only visitors' needs decide a promotion, and the saved weights are blended
back towards the base model's (weights_blend).

Plain Python over texts: the services gather pairs and documents from the database.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

HELD_OUT_SHARE = 0.2
SCALE = 20.0  # cosine similarities times this are the logits (sentence-transformers' default)
MAX_NEED_WORDS = 12
TRAIN_TOKENS = 128  # an add-on's text is cut here in training (its name and summary come first): 2x faster than 256
CLAUSE_END = re.compile(r"[.!?;:]\s+|\s+[-–—]\s+")


SOURCES = ("visitors", "catalogue")  # where a pair's need comes from: what visitors wrote, or a listing


@dataclass(frozen=True)
class Pair:
    need: str
    slug: str
    source: str  # one of SOURCES


@dataclass(frozen=True)
class TuningConfig:
    steps: int
    batch_size: int
    learning_rate: float
    seed: int = 0
    base_share: float = 0.0  # the share of the base model's weights in the saved ones (see weights_blend)

    def __post_init__(self) -> None:  # a bad share is refused before training, not after it
        _check_base_share(self.base_share)


def _check_base_share(base_share: float) -> None:
    if not 0.0 <= base_share < 1.0:
        raise ValueError(f"base_share must be at least 0 and below 1, not {base_share}")


class Ranker(Protocol):
    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...
    def embed_query(self, text: str) -> list[float]: ...


def held_out(slug: str) -> bool:
    """A stable HELD_OUT_SHARE of the catalogue whose pairs only judge, never train."""
    return hashlib.sha256(slug.encode()).digest()[0] < 256 * HELD_OUT_SHARE


def listing_need(name: str, summary: str) -> str:
    """A need in the words of an add-on's summary, without its name: its first clause, cut to a few words."""
    clause = next((part for part in CLAUSE_END.split(summary) if part.strip()), "")
    clause = re.sub(re.escape(name), " ", clause, flags=re.IGNORECASE) if name else clause
    return " ".join(clause.split()[:MAX_NEED_WORDS]).strip(" ,-").lower()


def finetune(
    base: str,
    pairs: Sequence[tuple[str, str]],
    destination: Path,
    config: TuningConfig,
    *,
    on_step: Callable[[int, float], None] | None = None,
) -> Path:
    """Train `base` (a sentence-transformers model) on (need, add-on text) pairs and save it to `destination`."""
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    model = SentenceTransformer(base, device="cpu")
    serving_length = model.max_seq_length or TRAIN_TOKENS
    model.max_seq_length = min(serving_length, TRAIN_TOKENS)
    base_weights = (
        {name: tensor.detach().clone() for name, tensor in model.state_dict().items()} if config.base_share else {}
    )
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate)
    order: list[int] = []
    for step in range(1, config.steps + 1):
        batch = _batch(pairs, order, config.batch_size, rng)
        needs = model(model.preprocess([pairs[at][0] for at in batch]))["sentence_embedding"]
        documents = model(model.preprocess([pairs[at][1] for at in batch]))["sentence_embedding"]
        similarity = torch.nn.functional.normalize(needs, dim=-1) @ torch.nn.functional.normalize(documents, dim=-1).T
        loss = torch.nn.functional.cross_entropy(similarity * SCALE, torch.arange(len(batch)))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if on_step is not None:
            on_step(step, loss.item())
    model.eval()
    weights_blend(model, base_weights, config.base_share)
    model.max_seq_length = serving_length
    destination.mkdir(parents=True, exist_ok=True)
    model.save(str(destination))
    return destination


def weights_blend(model, base_weights: Mapping[str, object], base_share: float) -> None:
    """Move `model`'s weights back towards the base model's, in place: base_share x base + (1 - base_share) x tuned.

    Averaging fine-tuned and base weights (WiSE-FT, Wortsman et al. 2022) keeps most of what fine-tuning gained
    on the needs it saw while giving back the base model's hold on needs unlike them: here, needs people word
    their own way, where a fully tuned encoder lost ground (see the module's docstring).
    """
    _check_base_share(base_share)
    if base_share == 0.0:
        return
    for name, tensor in model.state_dict().items():
        if tensor.is_floating_point():
            tensor.mul_(1.0 - base_share).add_(base_weights[name], alpha=base_share)


def _batch(pairs: Sequence[tuple[str, str]], order: list[int], size: int, rng: random.Random) -> list[int]:
    """The next `size` pairs of a shuffled pass, with no add-on text twice: a duplicate would be a negative
    that is in fact right."""
    batch: list[int] = []
    texts: set[str] = set()
    for _ in range(2 * len(pairs)):
        if len(batch) == min(size, len(pairs)):
            break
        if not order:
            order.extend(rng.sample(range(len(pairs)), len(pairs)))
        at = order.pop()
        if pairs[at][1] not in texts:
            batch.append(at)
            texts.add(pairs[at][1])
    return batch


def ranking_quality(
    ranker: Ranker, sets: Mapping[str, Sequence[Pair]], documents: dict[str, str]
) -> dict[str, dict[str, float]]:
    """For each set of needs, mean nDCG@5, Hit@5 and MRR@10 of each need's add-on among all `documents` (slug ->
    text; embedded once for all sets); an empty set scores {}."""
    slugs = list(documents)
    vectors = np.asarray(ranker.embed_documents([documents[slug] for slug in slugs]), dtype=np.float32)
    position = {slug: at for at, slug in enumerate(slugs)}
    scored: dict[str, dict[str, float]] = {}
    for name, needs in sets.items():
        totals = {"nDCG@5": 0.0, "Hit@5": 0.0, "MRR@10": 0.0}
        for pair in needs:
            scores = vectors @ np.asarray(ranker.embed_query(pair.need), dtype=np.float32)
            rank = int((scores > scores[position[pair.slug]]).sum()) + 1  # 1 = first
            totals["nDCG@5"] += 1 / math.log2(rank + 1) if rank <= 5 else 0.0
            totals["Hit@5"] += rank <= 5
            totals["MRR@10"] += 1 / rank if rank <= 10 else 0.0
        scored[name] = {metric: round(total / len(needs), 4) for metric, total in totals.items()} if needs else {}
    return scored
