"""What visitors taught the ranking: add-ons that satisfied needs near this one.

Evidence is a need a visitor had, an add-on and what they did with its card: said "That's it!", voted it up,
opened it ("View add-on"), or voted it down. For a new need, every piece of evidence whose need is near it
(cosine of the needs' embeddings above NEAR) votes for its add-on in proportion to how near (nothing at NEAR,
fully for the same need: a need only somewhat like another is weak evidence of what it wants), how strong
the signal and how recent (half-life HALF_LIFE_DAYS). The votes add a bounded amount to the add-on's fused
score, and so that one visitor cannot push an add-on:

- each client (a salted hash of the visitor's address) counts once per add-on, however many sessions,
  needs or votes it sent: its strongest piece of evidence;
- an add-on moves only when MIN_CLIENTS independent clients agree (for it, or against it);
- the ranking only reorders the candidates lexical and dense search found for the need: evidence can lift
  a relevant add-on past others, never bring in one the need does not match at all.

Plain numpy over the rows: no Django, so the bench and the tests build memories directly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

# Cosine between two needs' MiniLM embeddings below which they are no evidence for each other: below it, two
# simulated visitors' needs were satisfied by the same add-on in fewer than 1 pair in 10, above it in 1 in 4
# or more (bench/learning.py prints the table). A lower threshold lets a neighbour's favourite pass an ideal
# add-on for a need that only shares its topic.
NEAR = 0.55
HALF_LIFE_DAYS = 90.0
MIN_CLIENTS = 2
SIGNALS = {"satisfied": 1.0, "up": 1.0, "click": 0.3, "down": -1.0}


@dataclass(frozen=True)
class Piece:
    slug: str
    signal: str
    client: str
    age_days: float


class FeedbackMemory:
    """The evidence as a matrix of need vectors, with the add-on, signal, client and age of each row."""

    def __init__(self, vectors: Sequence[Sequence[float]] | Sequence[np.ndarray], pieces: Sequence[Piece]) -> None:
        self.vectors = np.asarray(vectors, dtype=np.float32).reshape(len(pieces), -1) if pieces else np.zeros((0, 0))
        self.pieces = list(pieces)
        self.weights = np.asarray(
            [SIGNALS[piece.signal] * 0.5 ** (piece.age_days / HALF_LIFE_DAYS) for piece in pieces], dtype=np.float32
        )

    def __len__(self) -> int:
        return len(self.pieces)

    def scores(self, query: Sequence[float]) -> dict[str, float]:
        """Each add-on's learned score for this need: the sum over clients of each client's strongest
        evidence (a down-vote is negative), counted only when MIN_CLIENTS clients agree on its sign."""
        if not self.pieces:
            return {}
        similarity = self.vectors @ np.asarray(query, dtype=np.float32)
        near = np.flatnonzero(similarity > NEAR)
        closeness = (similarity - NEAR) / (1 - NEAR)  # 0 at the threshold, 1 for the same need
        by_client: dict[tuple[str, str], float] = {}
        for row in near:
            piece = self.pieces[row]
            value = float(closeness[row] * self.weights[row])
            key = (piece.slug, piece.client)
            current = by_client.get(key)
            if current is None or abs(value) > abs(current):
                by_client[key] = value
        totals: dict[str, float] = defaultdict(float)
        clients: dict[tuple[str, bool], int] = defaultdict(int)
        for (slug, _), value in by_client.items():
            totals[slug] += value
            clients[slug, value > 0] += 1
        return {slug: total for slug, total in totals.items() if total and clients[slug, total > 0] >= MIN_CLIENTS}

    def strengths(self, query: Sequence[float], candidates: Collection[str]) -> dict[str, float]:
        """-1..1 for the candidates visitors favoured (or voted down) for needs like this one: MIN_CLIENTS
        visitors with the very same need are full strength; farther needs count less, down to nothing at NEAR."""
        return {
            slug: max(-1.0, min(1.0, score / MIN_CLIENTS))
            for slug, score in self.scores(query).items()
            if slug in candidates
        }
