"""Small builders for test data in AMO API v5 shape."""

from __future__ import annotations

import json
from pathlib import Path


def api_addon(slug: str, **overrides) -> dict:
    """One AMO API v5 search result, complete unless overridden."""
    addon = {
        "id": abs(hash(slug)) % 10_000_000,
        "guid": f"{slug}@example.org",
        "slug": slug,
        "type": "extension",
        "name": {"en-US": slug.replace("-", " ").title()},
        "summary": {"en-US": f"Does {slug} things."},
        "url": f"https://addons.mozilla.org/en-US/firefox/addon/{slug}/",
        "icon_url": f"https://addons.mozilla.org/user-media/addon_icons/1/{slug}-64.png",
        "categories": ["other"],
        "tags": ["utility"],
        "homepage": {"url": {"en-US": f"https://{slug}.example.org/"}},
        "average_daily_users": 1234,
        "ratings": {"average": 4.2, "count": 56},
        "requires_payment": False,
        "promoted": None,
        "current_version": {
            "version": "1.0.0",
            "license": {"name": {"en-US": "MIT License"}, "slug": "MIT"},
            "file": {"permissions": ["storage"], "host_permissions": []},
        },
    }
    addon.update(overrides)
    return addon


def write_results(path: Path, results: list, **extra) -> Path:
    path.write_text(json.dumps({"count": len(results), "results": results, **extra}), encoding="utf-8")
    return path
