"""recommend(): hybrid retrieval over the catalogue.

Dense embeddings find what the visitor meant; their best add-ons then expand the BM25 query with the
words those add-ons share (so "videos play by themselves" also searches "autoplay"); the two rankings
are fused by weighted reciprocal rank; a popularity and rating prior nudges the fused score by at
most a few per cent, enough to break near-ties, never enough to jump a clearly better match.

A need in another language than English (the catalogue's) adds the multilingual encoder's ranking
(retrieval.multilingual), which understands it, at full weight, and halves the English encoder's, which
only catches names and shared words; the keywords lose the language's own short words, which would match
only add-ons written in it, and are expanded from the add-ons the two encoders put first, which brings the
catalogue's English words for the need. English needs rank exactly as without it.

A fine-tuned encoder (retrieval.encoder_versions) serving gives the dense ranking, but the keywords are still
expanded from the base encoder's best add-ons: fusion gains from rankings that err apart, and an expansion
from the tuned encoder repeated its misses on needs unlike its training in the BM25 ranking too (bench/learning.py:
the 25 dev needs lost 0.027 with it, nothing with the expansion kept on the base, at the same gains elsewhere).
Weights were chosen on bench/quality.py; see the README for the figures.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from marketplace.models import Addon
from retrieval.documents import metadata_where
from retrieval.embedder import query_vector
from retrieval.language import foreign_language, without_function_words
from retrieval.lexical import LexicalHit, LexicalIndex, lexical_index
from retrieval.multilingual import multilingual_enabled, multilingual_query_vector
from retrieval.query import Filters
from retrieval.selectors import BASE_ENCODER, ServingEncoder, feedback_memory, serving_encoder
from retrieval.store import vector_store, vector_store_reopen
from retrieval.text import without_ruled_out

logger = logging.getLogger(__name__)
CANDIDATES = 100
RRF_K = 60
FEEDBACK_DOCS = 10
LEXICAL_WEIGHT = 0.5
DENSE_WEIGHT = 1.0
MULTILINGUAL_WEIGHT = 1.0  # for a need in another language, where the English encoder counts half
FOREIGN_DENSE_WEIGHT = 0.5
PRIOR_WEIGHT = 0.05
FEEDBACK_WEIGHT = 1.0  # the learned ranking counts as much as the dense one (bench/learning.py)
# The prior: how used (log10 of daily users, full at a million) and how well rated, the rating shrunk
# towards a middling 3.5 as if it had 20 more votes of that, so five 5-star votes do not beat thousands.
FULL_USERS_LOG10 = 6
SHRINK_RATING = 3.5
SHRINK_VOTES = 20
USERS_SHARE = 0.6
RATING_SHARE = 0.4


@dataclass(frozen=True)
class Recommendation:
    addon: Addon
    score: float


def _row_allowed(filters: Filters, exclude: frozenset[str]):
    def allowed(row: dict) -> bool:
        return row["slug"] not in exclude and filters.allows(
            categories=row["category_slugs"], rating=row["rating"], free=row["free"], all_sites=row["all_sites"]
        )

    return allowed


def _addon_allowed(addon: Addon, filters: Filters) -> bool:
    return addon.is_active and filters.allows(
        categories={category.slug for category in addon.categories.all()},
        rating=addon.rating,
        free=not addon.requires_payment,
        all_sites=addon.needs_all_sites,
    )


def lexical_candidates(
    query: str,
    *,
    filters: Filters,
    exclude: frozenset[str],
    limit: int = CANDIDATES,
    feedback: list[str] | None = None,
    index: LexicalIndex | None = None,
) -> list[LexicalHit]:
    index = index or lexical_index()
    return index.search(query, limit=limit, allowed=_row_allowed(filters, exclude), feedback=feedback)


def dense_candidates(
    query: str,
    *,
    filters: Filters,
    exclude: frozenset[str],
    limit: int = CANDIDATES,
    multilingual: bool = False,
    encoder: ServingEncoder | None = None,
) -> list[str]:
    """Slugs by cosine similarity of the query to each add-on's passage, by `encoder` (by default the one
    serving) or by the multilingual encoder.

    A search that fails on the store is tried once more on a freshly opened one: another process may
    have rewritten the index between this process's check of its generation and the search.
    """
    from chromadb.errors import ChromaError

    encoder = encoder or serving_encoder()  # one read: the query and the collection it searches agree
    vector: list[Sequence[float]] = [
        multilingual_query_vector(query) if multilingual else query_vector(query, encoder.model)
    ]
    where = metadata_where(filters, exclude)
    try:
        store = vector_store(multilingual=multilingual, encoder=encoder)
        found = store._collection.query(query_embeddings=vector, n_results=limit, where=where, include=[])
    except ChromaError:
        logger.warning("a search failed on the index; reopening it and trying again", exc_info=True)
        found = vector_store_reopen(multilingual=multilingual, encoder=encoder)._collection.query(
            query_embeddings=vector, n_results=limit, where=where, include=[]
        )
    return list(found["ids"][0])


def _dense_or_none(
    query: str,
    *,
    filters: Filters,
    exclude: frozenset[str],
    multilingual: bool = False,
    encoder: ServingEncoder | None = None,
) -> list[str]:
    try:
        return dense_candidates(query, filters=filters, exclude=exclude, multilingual=multilingual, encoder=encoder)
    except Exception:  # noqa: BLE001 - a broken index must not take the chat down: keywords still find add-ons
        logger.exception("the search index failed; keyword search only until `manage.py build_index --rebuild`")
        return []


def prior(*, users: int | None, rating: float | None, rating_count: int | None) -> float:
    """0..1: how used and how well rated an add-on is (ratings shrunk towards SHRINK_RATING when few)."""
    used = min(1.0, math.log10((users or 0) + 1) / FULL_USERS_LOG10)
    count = rating_count or 0
    shrunk = ((rating or 0) * count + SHRINK_RATING * SHRINK_VOTES) / (count + SHRINK_VOTES)
    return USERS_SHARE * used + RATING_SHARE * shrunk / 5


def fuse(rankings: Iterable[tuple[list[str], float]]) -> dict[str, float]:
    """Weighted reciprocal rank fusion of ranked slug lists."""
    scores: dict[str, float] = {}
    for ranking, weight in rankings:
        for rank, slug in enumerate(ranking, start=1):
            scores[slug] = scores.get(slug, 0.0) + weight / (RRF_K + rank)
    return scores


def recommend(
    query: str, *, k: int = 5, filters: Filters | None = None, exclude: Iterable[str] = ()
) -> list[Recommendation]:
    """The k best catalogue add-ons for a need, best first, each with its score."""
    filters = filters or Filters()
    excluded = frozenset(exclude)
    index = lexical_index()
    query = index.corrected(without_ruled_out(query))
    language = foreign_language(query) if multilingual_enabled() else ""
    encoder = serving_encoder()
    dense = _dense_or_none(query, filters=filters, exclude=excluded, encoder=encoder)
    base = (
        dense
        if encoder == BASE_ENCODER
        else _dense_or_none(query, filters=filters, exclude=excluded, encoder=BASE_ENCODER)
    )
    if language:
        understood = _dense_or_none(query, filters=filters, exclude=excluded, multilingual=True)
        meaning = [(understood, MULTILINGUAL_WEIGHT), (dense, FOREIGN_DENSE_WEIGHT)]
        hints = fuse([(understood, MULTILINGUAL_WEIGHT), (base, FOREIGN_DENSE_WEIGHT)])
        feedback = sorted(hints, key=lambda slug: -hints[slug])[:FEEDBACK_DOCS]
        keywords = without_function_words(query, language)
    else:
        meaning, feedback, keywords = [(dense, DENSE_WEIGHT)], base[:FEEDBACK_DOCS], query
    lexical = [
        hit.slug
        for hit in lexical_candidates(keywords, filters=filters, exclude=excluded, feedback=feedback, index=index)
    ]
    fused = fuse([(lexical, LEXICAL_WEIGHT), *meaning])
    learned(fused, query)
    return _ranked(fused, index, filters, excluded, k)


def learned(fused: dict[str, float], query: str) -> None:
    """What visitors taught (retrieval.feedback), added in place: at full strength, as much as a first place
    in a ranking of FEEDBACK_WEIGHT; down-voted ones lose as much. Only among the candidates."""
    memory = feedback_memory()
    if not len(memory):
        return
    for slug, strength in memory.strengths(query_vector(query), fused.keys()).items():
        fused[slug] += strength * FEEDBACK_WEIGHT / (RRF_K + 1)


def _ranked(
    fused: dict[str, float], index: LexicalIndex, filters: Filters, excluded: frozenset[str], k: int
) -> list[Recommendation]:
    """The k best by fused score and prior, from the catalogue rows the lexical index holds (current: it is
    rebuilt whenever the catalogue changes), so only the winners are loaded, not every candidate: loading
    ~150 add-ons with their categories per search cost ~20 ms. The dense index may lag the catalogue by a
    moment: a slug it found that the catalogue no longer has, or no longer allows, is left out, and the
    winners are checked against the database once more as they are loaded."""
    allowed = _row_allowed(filters, excluded)
    scored = []
    for slug, score in fused.items():
        row = index.row(slug)
        if row is not None and allowed(row):
            boost = prior(users=row["users"], rating=row["rating"], rating_count=row["rating_count"])
            scored.append((score * (1 + PRIOR_WEIGHT * boost), slug))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    results: list[Recommendation] = []
    for start in range(0, len(scored), k):  # almost always one round
        batch = scored[start : start + k]
        addons = Addon.objects.filter(slug__in=[slug for _, slug in batch]).prefetch_related("categories")
        loaded = {addon.slug: addon for addon in addons if _addon_allowed(addon, filters)}
        results += [Recommendation(loaded[slug], round(score, 6)) for score, slug in batch if slug in loaded]
        if len(results) >= k:
            break
    return results[:k]
