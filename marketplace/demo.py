"""Our own small demo catalogue (real add-ons, descriptions in our words), as AddonRecords.

Records carry no URL: the catalogue links each to its AMO page (marketplace.amo).
"""

from __future__ import annotations

import json
from pathlib import Path

from marketplace.records import AddonRecord, AddonSource

DEMO_CATALOG_PATH = Path(__file__).resolve().parent / "fixtures" / "demo_catalog.json"


def demo_catalog(path: Path = DEMO_CATALOG_PATH) -> tuple[dict[str, str], list[AddonRecord]]:
    """Category names by slug, and one record per demo add-on."""
    data = json.loads(path.read_text(encoding="utf-8"))
    names = {category["slug"]: category["name"] for category in data["categories"]}
    records = [
        AddonRecord(
            slug=item["slug"],
            name=item["name"],
            summary=item.get("summary", ""),
            description=item.get("description", ""),
            categories=item.get("categories", []),
            tags=item.get("tags", []),
            average_daily_users=item.get("average_daily_users"),
            rating=item.get("rating"),
            rating_count=item.get("rating_count"),
            license=item.get("license", ""),
            homepage=item.get("homepage", ""),
            permissions=item.get("permissions", []),
            host_permissions=item.get("host_permissions", []),
            requires_payment=item.get("requires_payment", False),
            promoted=item.get("promoted", False),
            source=AddonSource.FIXTURE,
        )
        for item in data["addons"]
    ]
    return names, records
