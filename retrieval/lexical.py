"""BM25 over name, tags, summary, categories and the sites an add-on works on, with typo correction
against the catalogue's words.

Only words that are neither in the catalogue nor real words (stop words, or whole words of the
embedding model's vocabulary) are corrected: otherwise "with" became "width" and "pounds" "sounds".

Built in memory from the database and rebuilt when the catalogue changes (its active count or latest
change time moves), so every process sees the same catalogue without a shared cache.
"""

from __future__ import annotations

import difflib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from django.db.models import Max

from marketplace.models import Addon
from retrieval.bm25 import BM25
from retrieval.documents import addon_sites
from retrieval.embedder import known_words
from retrieval.language import foreign_language
from retrieval.text import STOP_WORDS, TOKEN, fold, stem, tokens, words

NAME_WEIGHT = 3
TAG_WEIGHT = 2
TYPO_CUTOFF = 0.8
MAX_CORRECTED = 4  # unknown words looked up per query
MAX_REMEMBERED_CORRECTIONS = 20_000
ORIGINAL_TERM_WEIGHT = 2
EXPANSION_TERMS = 10


@dataclass(frozen=True)
class LexicalHit:
    slug: str
    score: float
    matched: tuple[str, ...]


class LexicalIndex:
    """BM25 over a frozen list of add-ons."""

    def __init__(self, rows: list[dict], *, known: frozenset[str] = frozenset()) -> None:
        self.known = known | STOP_WORDS
        self.slugs = [row["slug"] for row in rows]
        self.position = {slug: index for index, slug in enumerate(self.slugs)}
        self.rows = rows
        documents = [self._document_tokens(row) for row in rows]
        self.term_sets = [set(document) for document in documents]
        self.vocabulary = {term for document in documents for term in document}
        self.spellings = {
            word for row in rows for word in words(f"{row['name']} {row['summary_text']} {' '.join(row['tags'])}")
        }
        self._by_length: dict[int, list[str]] = {}
        for word in sorted(self.spellings):
            self._by_length.setdefault(len(word), []).append(word)
        self.bm25 = BM25(documents)
        self._corrections: dict[str, str] = {}

    @staticmethod
    def _document_tokens(row: dict) -> list[str]:
        name = tokens(row["name"]) + tokens(row["slug"].replace("-", " "))
        tags = tokens(" ".join(row["tags"]))
        return (
            name * NAME_WEIGHT
            + tags * TAG_WEIGHT
            + tokens(row["summary_text"])
            + tokens(row["categories"])
            + tokens(row["sites"])
        )

    def correct(self, word: str) -> str:
        """The closest catalogue word for an unknown one ("spotfy" -> "spotify"); itself if none or if real."""
        return word if self._known(word) else self._closest(word)

    def _known(self, word: str) -> bool:
        return (
            len(word) < 4
            or word.isdigit()
            or word in self.spellings
            or word in self.known
            or stem(word) in self.vocabulary
        )

    def _closest(self, word: str) -> str:
        """difflib over the catalogue's words of about that length: ~5-50 ms, so remembered per word."""
        if (found := self._corrections.get(word)) is not None:
            return found
        candidates = [w for size in range(len(word) - 2, len(word) + 3) for w in self._by_length.get(size, [])]
        match = difflib.get_close_matches(word, candidates, n=1, cutoff=TYPO_CUTOFF)
        if len(self._corrections) >= MAX_REMEMBERED_CORRECTIONS:
            self._corrections.clear()
        self._corrections[word] = found = match[0] if match else word
        return found

    def corrected(self, query: str) -> str:
        """The query with misspelt words replaced, for every ranker (dense models trip on typos too).

        Only English is corrected: the catalogue's words are English, so in another language ("am Abend")
        the closest catalogue word ("agent") is a different word, not the one meant. At most MAX_CORRECTED
        unknown words per query are looked up: a need has a few typos; a paste of gibberish is not a need,
        and looking up each of its words once cost seconds of CPU.
        """
        if foreign_language(query):
            return fold(query)
        unknown = 0

        def fix(found: re.Match[str]) -> str:
            nonlocal unknown
            word = found.group()
            if self._known(word):
                return word
            unknown += 1
            return self._closest(word) if unknown <= MAX_CORRECTED else word

        return TOKEN.sub(fix, fold(query))

    def query_terms(self, query: str) -> list[str]:
        return [stem(word) for word in words(query)]

    def expansion_terms(self, feedback: list[str], exclude: list[str], count: int = EXPANSION_TERMS) -> list[str]:
        """Terms shared by the add-ons that best match the need in meaning (pseudo-relevance feedback).

        A visitor describes a problem ("videos play by themselves"); the add-ons the dense ranker puts
        first name the feature ("autoplay"). Terms found in at least two of them, weighted by rarity and
        by rank, let BM25 find every add-on that names the feature.
        """
        weight: dict[str, float] = {}
        documents: dict[str, int] = {}
        for rank, slug in enumerate(feedback, start=1):
            index = self.position.get(slug)
            if index is None:
                continue
            for term in self.term_sets[index]:
                weight[term] = weight.get(term, 0.0) + self.bm25.idf.get(term, 0.0) / rank
                documents[term] = documents.get(term, 0) + 1
        skip = set(exclude)
        ranked = sorted(
            (term for term in weight if documents[term] >= 2 and term not in skip),
            key=lambda term: (-weight[term], term),
        )
        return ranked[:count]

    def row(self, slug: str) -> dict | None:
        position = self.position.get(slug)
        return None if position is None else self.rows[position]

    def search(
        self,
        query: str,
        *,
        limit: int,
        allowed: Callable[[dict], bool] | None = None,
        feedback: list[str] | None = None,
    ) -> list[LexicalHit]:
        """BM25 hits best first; with `feedback` slugs the query is expanded from those add-ons."""
        terms = self.query_terms(query)
        weighted = terms * ORIGINAL_TERM_WEIGHT + self.expansion_terms(feedback, terms) if feedback else terms
        if not weighted or not self.slugs:
            return []
        scores = self.bm25.scores(weighted)
        matching = np.flatnonzero(scores > 0)  # a few hundred of the catalogue: sort only those
        hits: list[LexicalHit] = []
        for index in matching[np.argsort(-scores[matching], kind="stable")]:
            if len(hits) >= limit:
                break
            if allowed is None or allowed(self.rows[index]):
                matched = tuple(term for term in dict.fromkeys(terms) if term in self.term_sets[index])
                hits.append(LexicalHit(self.slugs[index], float(scores[index]), matched))
        return hits


_lock = threading.Lock()
_cached: tuple[tuple, LexicalIndex] | None = None


def _catalogue_signature() -> tuple:
    """What changes whenever the active catalogue does, asked by every search: three queries an index
    answers (1.1 ms at 28,000 add-ons), where one aggregate with filters read the whole table (9 ms)."""
    active = Addon.objects.filter(is_active=True)
    return active.count(), active.aggregate(changed=Max("changed_at"))["changed"], Addon.objects.count()


def _rows() -> list[dict]:
    rows = []
    addons = Addon.objects.filter(is_active=True).prefetch_related("categories").order_by("slug")
    for addon in addons.iterator(chunk_size=2000):
        rows.append(
            {
                "slug": addon.slug,
                "name": addon.name,
                "tags": addon.tags,
                "summary_text": addon.summary_text,
                "categories": " ".join(category.name for category in addon.categories.all()),
                "category_slugs": {category.slug for category in addon.categories.all()},
                "sites": " ".join(addon_sites(addon)),
                "rating": addon.rating,
                "rating_count": addon.rating_count,
                "users": addon.average_daily_users,
                "free": not addon.requires_payment,
                "all_sites": addon.needs_all_sites,
            }
        )
    return rows


def lexical_index() -> LexicalIndex:
    """The BM25 index of the current catalogue, rebuilt only when the catalogue changed."""
    global _cached
    signature = _catalogue_signature()
    with _lock:
        if _cached is None or _cached[0] != signature:
            _cached = (signature, LexicalIndex(_rows(), known=known_words()))
        return _cached[1]
