"""The plain add-on record every source (AMO API, AMO HTML, demo fixture) produces.

Parsers know nothing about the database; services know nothing about AMO's formats.
This dataclass is the contract between them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class AddonSource(StrEnum):
    """Where a record came from; an HTML listing card is partial (it lacks what only the detail page says)."""

    API = "api"
    HTML = "html"
    FIXTURE = "fixture"

    @property
    def label(self) -> str:
        return SOURCE_LABELS[self]

    @property
    def partial(self) -> bool:
        return self is AddonSource.HTML


SOURCE_LABELS = {AddonSource.API: "AMO API", AddonSource.HTML: "AMO HTML page", AddonSource.FIXTURE: "Demo fixture"}


@dataclass
class AddonRecord:
    """One add-on as read from outside. Text fields may hold raw HTML: services sanitise."""

    slug: str
    name: str = ""
    summary: str = ""
    description: str = ""
    amo_id: int | None = None
    guid: str = ""
    icon_url: str = ""
    url: str = ""
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    average_daily_users: int | None = None
    rating: float | None = None
    rating_count: int | None = None
    version: str = ""
    license: str = ""
    homepage: str = ""
    permissions: list[str] = field(default_factory=list)
    host_permissions: list[str] = field(default_factory=list)
    requires_payment: bool = False
    promoted: bool = False
    last_updated: datetime | None = None
    source: AddonSource = AddonSource.API
