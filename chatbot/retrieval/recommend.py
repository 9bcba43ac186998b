"""recommend(): hybrid retrieval over the catalogue.

Dense embeddings find what the visitor meant; their best add-ons then expand the BM25 query with the
words those add-ons share (so "videos play by themselves" also searches "autoplay"); the two rankings
are fused by weighted reciprocal rank; a popularity and rating prior nudges the fused score by at
most a few per cent, enough to break near-ties, never enough to jump a clearly better match.
Weights were chosen on bench/quality.py; see the README for the figures.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from chatbot.retrieval.documents import category_key, site_names
from chatbot.retrieval.lexical import LexicalHit, lexical_index
from chatbot.retrieval.store import vector_store
from chatbot.retrieval.text import stem, tokens, without_ruled_out, words
from marketplace.models import Addon

CANDIDATES = 100
RRF_K = 60
FEEDBACK_DOCS = 10
LEXICAL_WEIGHT = 0.5
DENSE_WEIGHT = 1.0
PRIOR_WEIGHT = 0.05


@dataclass(frozen=True)
class Filters:
    """What a visitor or an integrator may narrow results by."""

    category: str = ""
    min_rating: float | None = None
    free_only: bool = False
    no_all_sites: bool = False


@dataclass(frozen=True)
class Recommendation:
    addon: Addon
    score: float
    reason: str


def _row_allowed(filters: Filters, exclude: frozenset[str]):
    def allowed(row: dict) -> bool:
        return not (
            row["slug"] in exclude
            or (filters.category and filters.category not in row["category_slugs"])
            or (filters.min_rating is not None and (row["rating"] or 0) < filters.min_rating)
            or (filters.free_only and not row["free"])
            or (filters.no_all_sites and row["all_sites"])
        )

    return allowed


def _chroma_where(filters: Filters, exclude: frozenset[str]) -> dict | None:
    clauses: list[dict] = []
    if filters.category:
        clauses.append({category_key(filters.category): True})
    if filters.min_rating is not None:
        clauses.append({"rating": {"$gte": float(filters.min_rating)}})
    if filters.free_only:
        clauses.append({"free": True})
    if filters.no_all_sites:
        clauses.append({"all_sites": False})
    if exclude:
        clauses.append({"slug": {"$nin": sorted(exclude)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def lexical_candidates(query: str, *, filters: Filters, exclude: frozenset[str], limit: int = CANDIDATES,
                       feedback: list[str] | None = None) -> list[LexicalHit]:
    return lexical_index().search(query, limit=limit, allowed=_row_allowed(filters, exclude), feedback=feedback)


def dense_candidates(query: str, *, filters: Filters, exclude: frozenset[str], limit: int = CANDIDATES) -> list[str]:
    """Slugs by cosine similarity of the query to each add-on's passage."""
    results = vector_store().similarity_search_with_score(query, k=limit, filter=_chroma_where(filters, exclude))
    return [document.metadata["slug"] for document, _distance in results]


def prior(addon: Addon) -> float:
    """0..1: how used and how well rated an add-on is (ratings shrunk towards 3.5 when few)."""
    users = min(1.0, math.log10((addon.average_daily_users or 0) + 1) / 6)
    count = addon.rating_count or 0
    rating = ((addon.rating or 0) * count + 3.5 * 20) / (count + 20)
    return 0.6 * users + 0.4 * rating / 5


def fuse(rankings: Iterable[tuple[list[str], float]]) -> dict[str, float]:
    """Weighted reciprocal rank fusion of ranked slug lists."""
    scores: dict[str, float] = {}
    for ranking, weight in rankings:
        for rank, slug in enumerate(ranking, start=1):
            scores[slug] = scores.get(slug, 0.0) + weight / (RRF_K + rank)
    return scores


def _filtered(addons, filters: Filters):
    addons = addons.filter(is_active=True)
    if filters.category:
        addons = addons.filter(categories__slug=filters.category)
    if filters.min_rating is not None:
        addons = addons.filter(rating__gte=filters.min_rating)
    if filters.free_only:
        addons = addons.filter(requires_payment=False)
    if filters.no_all_sites:
        addons = addons.filter(needs_all_sites=False)
    return addons


def reason(query: str, addon: Addon) -> str:
    """A short, visitor-readable account of what matched."""
    fields = [("name", addon.name + " " + addon.slug.replace("-", " ")), ("tags", " ".join(addon.tags)),
              ("description", addon.summary_text + " " + addon.description_text),
              ("works on", " ".join(site_names(addon)))]
    field_terms = [(label, set(tokens(text))) for label, text in fields]
    matched: dict[str, list[str]] = {}
    for word in dict.fromkeys(words(query)):
        for label, terms in field_terms:
            if stem(word) in terms:
                matched.setdefault(label, []).append(word)
                break
    if not matched:
        categories = ", ".join(category.name for category in addon.categories.all()) or "the catalogue"
        return f"Close in meaning to your request ({categories})"
    found = "; ".join(f"{label}: " + ", ".join(f'"{word}"' for word in hits[:4]) for label, hits in matched.items())
    return f"Matched {found}"


def recommend(query: str, *, k: int = 5, filters: Filters | None = None,
              exclude: Iterable[str] = ()) -> list[Recommendation]:
    """The k best catalogue add-ons for a need, each with a score and the reason it matched."""
    filters = filters or Filters()
    excluded = frozenset(exclude)
    query = lexical_index().corrected(without_ruled_out(query))
    dense = dense_candidates(query, filters=filters, exclude=excluded)
    feedback = dense[:FEEDBACK_DOCS]
    lexical = [hit.slug for hit in lexical_candidates(query, filters=filters, exclude=excluded, feedback=feedback)]
    fused = fuse([(lexical, LEXICAL_WEIGHT), (dense, DENSE_WEIGHT)])
    addons = {
        addon.slug: addon
        for addon in _filtered(Addon.objects.filter(slug__in=fused).exclude(slug__in=excluded), filters)
        .prefetch_related("categories").distinct()
    }
    ranked = sorted(
        ((fused[slug] * (1 + PRIOR_WEIGHT * prior(addon)), addon) for slug, addon in addons.items()),
        key=lambda pair: (-pair[0], pair[1].slug),
    )
    return [Recommendation(addon, round(score, 6), reason(query, addon)) for score, addon in ranked[:k]]
