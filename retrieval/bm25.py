"""Okapi BM25 over an inverted index: a query touches only the documents that contain its terms,
so its cost grows with matches, not with the catalogue (rank-bm25 scans every document per term)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np


class BM25:
    def __init__(self, documents: list[list[str]], *, k1: float = 1.5, b: float = 0.75) -> None:
        self.size = len(documents)
        lengths = np.array([len(document) for document in documents], dtype=np.float64)
        average = lengths.mean() if self.size and lengths.mean() > 0 else 1.0
        self.k1 = k1
        self.norm = k1 * (1 - b + b * lengths / average)
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for index, document in enumerate(documents):
            for term, count in Counter(document).items():
                docs, counts = postings.setdefault(term, ([], []))
                docs.append(index)
                counts.append(count)
        self.postings = {
            term: (np.array(docs), np.array(counts, dtype=np.float64)) for term, (docs, counts) in postings.items()
        }
        # Lucene's idf: never negative, so a very common term still counts a little.
        self.idf = {
            term: math.log(1 + (self.size - len(docs) + 0.5) / (len(docs) + 0.5))
            for term, (docs, _) in self.postings.items()
        }

    def scores(self, terms: list[str]) -> np.ndarray:
        """A score per document; a term repeated in the query counts that many times."""
        scores = np.zeros(self.size)
        for term, weight in Counter(terms).items():
            if term not in self.postings:
                continue
            docs, counts = self.postings[term]
            scores[docs] += weight * self.idf[term] * counts * (self.k1 + 1) / (counts + self.norm[docs])
        return scores
