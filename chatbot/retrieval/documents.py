"""What the index stores for an add-on: the text to embed and the metadata filters need."""
from __future__ import annotations

import hashlib
import re

from marketplace.models import Addon

DESCRIPTION_CHARS = 600
MAX_SITES = 8
HOST = re.compile(r"^(?:[a-z*-]+://)?([^/:]+)")
SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu"})


def category_key(slug: str) -> str:
    """Chroma metadata holds scalars only, so each category is a boolean flag."""
    return f"cat_{slug.replace('-', '_')}"


def site_names(addon: Addon) -> list[str]:
    """The sites an add-on is made for, from the hosts it asks for ("*://*.roblox.com/*" -> "roblox").

    Many listings never name the site ("Enhanced subtitles for language study" is for Netflix);
    their permissions do. Patterns for every site, IP addresses and local hosts name nothing.
    """
    names: list[str] = []
    for pattern in [*addon.permissions, *addon.host_permissions]:
        found = HOST.match(pattern.lower())
        labels = [label for label in found.group(1).split(".") if label not in {"*", "www", "m"}] if found else []
        if len(labels) < 2 or not labels[-1].isalpha():
            continue
        name = labels[-3] if len(labels) >= 3 and labels[-2] in SECOND_LEVEL else labels[-2]
        if name.isalnum() and name not in names:
            names.append(name)
    return names[:MAX_SITES]


def addon_text(addon: Addon) -> str:
    """Name, summary, categories, tags, the sites it works on and the start of the description."""
    categories = ", ".join(category.name for category in addon.categories.all())
    sites = ", ".join(site_names(addon))
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
