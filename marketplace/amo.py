"""Where things live on addons.mozilla.org (AMO_BASE_URL): the one place its URL scheme is written."""

from __future__ import annotations

from django.conf import settings


def addon_page_url(slug: str) -> str:
    """An add-on's detail page: what a card links to and what the scraper reads."""
    return f"{settings.AMO_BASE_URL.rstrip('/')}/en-US/firefox/addon/{slug}/"
