"""What the index stores for an add-on: the text to embed and the metadata filters need."""

from __future__ import annotations

import hashlib

from marketplace.models import Addon
from marketplace.sites import site_names
from retrieval.query import Filters

DESCRIPTION_CHARS = 600
MAX_SITES = 8


def category_key(slug: str) -> str:
    """Chroma metadata holds scalars only, so each category is a boolean flag."""
    return f"cat_{slug.replace('-', '_')}"


def addon_sites(addon: Addon) -> list[str]:
    """The sites an add-on is made for, from its permissions (many listings never name them)."""
    return site_names([*addon.permissions, *addon.host_permissions])[:MAX_SITES]


def addon_text(addon: Addon) -> str:
    """Name, summary, categories, tags, the sites it works on and the start of the description."""
    categories = ", ".join(category.name for category in addon.categories.all())
    sites = ", ".join(addon_sites(addon))
    parts = [
        f"{addon.name}.",
        addon.summary_text,
        f"Categories: {categories}." if categories else "",
        f"Tags: {', '.join(addon.tags)}." if addon.tags else "",
        f"Works on: {sites}." if sites else "",
        addon.description_text[:DESCRIPTION_CHARS],
    ]
    return " ".join(part for part in parts if part)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def addon_metadata(addon: Addon, text: str) -> dict[str, str | int | float | bool]:
    """Filterable facts plus the hashes that tell sync what changed."""
    metadata: dict[str, str | int | float | bool] = {
        "slug": addon.slug,
        "users": addon.average_daily_users or 0,
        "rating": float(addon.rating or 0.0),
        "free": not addon.requires_payment,
        "all_sites": addon.needs_all_sites,
        "promoted": addon.promoted,
        "content_hash": addon.content_hash,
        "text_hash": text_hash(text),
    }
    for category in addon.categories.all():
        metadata[category_key(category.slug)] = True
    return metadata


def metadata_where(filters: Filters, exclude: frozenset[str]) -> dict | None:
    """The Filters (and excluded slugs) as a Chroma `where` over the metadata above."""
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
