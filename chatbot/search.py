"""The dialogue policy's view of retrieval: recommend() results as plain Candidates (no ORM objects)."""

from __future__ import annotations

from chatbot.dialogue.candidates import Candidate
from marketplace.sites import site_domains
from retrieval.query import Filters
from retrieval.recommend import recommend


def search_candidates(query: str, filters: Filters, exclude: frozenset[str], k: int) -> list[Candidate]:
    """What the policy's `search` callable does in production."""
    return [
        Candidate(
            slug=result.addon.slug,
            name=result.addon.name,
            summary=result.addon.summary_text,
            categories=tuple(c.slug for c in result.addon.categories.all()),
            category_names=tuple(c.name for c in result.addon.categories.all()),
            tags=tuple(result.addon.tags),
            free=not result.addon.requires_payment,
            all_sites=result.addon.needs_all_sites,
            rating=result.addon.rating,
            sites=site_domains([*result.addon.permissions, *result.addon.host_permissions]),
            license=result.addon.license,
            score=result.score,
        )
        for result in recommend(query, k=k, filters=filters, exclude=exclude)
    ]
