"""Reads of the catalogue for the storefront and the chat."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from marketplace.models import Addon, Category


def addon_list(*, category: str = "", limit: int | None = None) -> QuerySet[Addon]:
    """Active add-ons, most used first."""
    addons = Addon.objects.filter(is_active=True).prefetch_related("categories")
    if category:
        addons = addons.filter(categories__slug=category)
    addons = addons.order_by("-promoted", "-average_daily_users", "name")
    return addons[:limit] if limit else addons


def category_list() -> QuerySet[Category]:
    """Categories that hold at least one active add-on, with their counts."""
    return (
        Category.objects.annotate(addon_count=Count("addons", filter=Q(addons__is_active=True)))
        .filter(addon_count__gt=0)
        .order_by("name")
    )


def catalog_is_empty() -> bool:
    return not Addon.objects.exists()


def addon_names() -> list[str]:
    """Names of the active catalogue: what the name guard knows as add-ons."""
    return list(Addon.objects.filter(is_active=True).values_list("name", flat=True))
