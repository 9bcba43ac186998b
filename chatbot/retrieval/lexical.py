"""BM25 over name, tags, summary and categories, with typo correction against the catalogue's words.

Built in memory from the database and rebuilt when the catalogue changes (its active count or latest
change time moves), so every process sees the same catalogue without a shared cache.
"""
from __future__ import annotations

import difflib
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Max
from rank_bm25 import BM25Okapi

from chatbot.retrieval.text import stem, tokens, words
from marketplace.models import Addon

NAME_WEIGHT = 3
TAG_WEIGHT = 2
TYPO_CUTOFF = 0.8


@dataclass(frozen=True)
class LexicalHit:
    slug: str
    score: float
    matched: tuple[str, ...]


class LexicalIndex:
    """BM25 over a frozen list of add-ons."""

    def __init__(self, rows: list[dict]) -> None:
        self.slugs = [row["slug"] for row in rows]
        self.rows = rows
        documents = [self._document_tokens(row) for row in rows]
        self.term_sets = [set(document) for document in documents]
        self.vocabulary = {term for document in documents for term in document}
        self._by_length: dict[int, list[str]] = {}
        for term in sorted(self.vocabulary):
            self._by_length.setdefault(len(term), []).append(term)
        self.bm25 = BM25Okapi(documents or [[""]])

    @staticmethod
    def _document_tokens(row: dict) -> list[str]:
        name = tokens(row["name"]) + tokens(row["slug"].replace("-", " "))
        tags = tokens(" ".join(row["tags"]))
        return name * NAME_WEIGHT + tags * TAG_WEIGHT + tokens(row["summary_text"]) + tokens(row["categories"])

    def correct(self, term: str) -> str:
        """The closest catalogue term for an unknown one ("spotfy" -> "spotify"); itself if none."""
        if term in self.vocabulary or len(term) < 4 or term.isdigit():
            return term
        candidates = [t for size in range(len(term) - 2, len(term) + 3) for t in self._by_length.get(size, [])]
        match = difflib.get_close_matches(term, candidates, n=1, cutoff=TYPO_CUTOFF)
        return match[0] if match else term

    def query_terms(self, query: str, *, fix_typos: bool = True) -> list[str]:
        terms = [stem(word) for word in words(query)]
        return [self.correct(term) for term in terms] if fix_typos else terms

    def search(self, query: str, *, limit: int, allowed: Callable[[dict], bool] | None = None,
               fix_typos: bool = True) -> list[LexicalHit]:
        terms = self.query_terms(query, fix_typos=fix_typos)
        if not terms or not self.slugs:
            return []
        scores = self.bm25.get_scores(terms)
        order = sorted(range(len(self.slugs)), key=lambda i: -scores[i])
        hits = []
        for index in order:
            if scores[index] <= 0 or len(hits) >= limit:
                break
            if allowed is None or allowed(self.rows[index]):
                matched = tuple(term for term in dict.fromkeys(terms) if term in self.term_sets[index])
                hits.append(LexicalHit(self.slugs[index], float(scores[index]), matched))
        return hits


_lock = threading.Lock()
_cached: tuple[tuple, LexicalIndex] | None = None


def _catalogue_signature() -> tuple:
    stats = Addon.objects.filter(is_active=True).aggregate(count=Count("id"), changed=Max("changed_at"))
    return stats["count"], stats["changed"], Addon.objects.count()


def _rows() -> list[dict]:
    rows = []
    addons = Addon.objects.filter(is_active=True).prefetch_related("categories").order_by("slug")
    for addon in addons.iterator(chunk_size=2000):
        rows.append({
            "slug": addon.slug,
            "name": addon.name,
            "tags": addon.tags,
            "summary_text": addon.summary_text,
            "categories": " ".join(category.name for category in addon.categories.all()),
            "category_slugs": {category.slug for category in addon.categories.all()},
            "rating": addon.rating,
            "free": not addon.requires_payment,
            "all_sites": addon.needs_all_sites,
        })
    return rows


def lexical_index() -> LexicalIndex:
    """The BM25 index of the current catalogue, rebuilt only when the catalogue changed."""
    global _cached
    signature = _catalogue_signature()
    with _lock:
        if _cached is None or _cached[0] != signature:
            _cached = (signature, LexicalIndex(_rows()))
        return _cached[1]
