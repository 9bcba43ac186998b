"""The card an add-on shows as, in the recommend API and in the chat: catalogue facts only, plain text."""

from __future__ import annotations

from marketplace.models import Addon


def addon_card(addon: Addon, *, reason: str) -> dict:
    return {
        "slug": addon.slug,
        "name": addon.name,
        "summary": addon.summary_text,
        "icon_url": addon.icon_url,
        "url": addon.url,
        "rating": addon.rating,
        "rating_count": addon.rating_count,
        "users": addon.average_daily_users,
        "categories": [{"slug": c.slug, "name": c.name} for c in addon.categories.all()],
        "reason": reason,
    }
