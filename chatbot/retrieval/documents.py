"""What the index stores for an add-on: the text to embed and the metadata filters need."""
from __future__ import annotations

import hashlib

from marketplace.models import Addon

DESCRIPTION_CHARS = 600


def category_key(slug: str) -> str:
    """Chroma metadata holds scalars only, so each category is a boolean flag."""
    return f"cat_{slug.replace('-', '_')}"


def addon_text(addon: Addon) -> str:
    """Name, summary, categories, tags and the start of the description, as one passage."""
    categories = ", ".join(category.name for category in addon.categories.all())
    parts = [
        f"{addon.name}.",
        addon.summary_text,
        f"Categories: {categories}." if categories else "",
        f"Tags: {', '.join(addon.tags)}." if addon.tags else "",
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
