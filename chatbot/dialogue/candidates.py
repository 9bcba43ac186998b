"""What the policy knows about an add-on, and the search it is handed to find them.

The policy sees plain values rather than model instances, so it runs (and is tested) without a database.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from retrieval.query import Filters
from retrieval.text import fold

OPEN_SOURCE_LICENSE = re.compile(
    r"\b(?:mit|[al]?gpl|mpl|apache|bsd|isc|unlicen[cs]e|cc0|zlib|eupl|osl|wtfpl|public domain|"
    r"(?:general|mozilla) public licen[cs]e|artistic licen[cs]e|open source|free software)\b"
)


@dataclass(frozen=True)
class Candidate:
    """One add-on as the policy sees it: the facts questions are built from, plus its search score."""

    slug: str
    name: str
    summary: str
    categories: tuple[str, ...] = ()  # category slugs
    category_names: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    free: bool = True
    all_sites: bool = False
    rating: float | None = None
    sites: tuple[str, ...] = ()  # domains from host permissions, e.g. "youtube.com"
    license: str = ""
    score: float = 0.0
    reason: str = ""

    @property
    def open_source(self) -> bool:
        return bool(OPEN_SOURCE_LICENSE.search(fold(self.license)))

    def allowed_by(self, filters: Filters) -> bool:
        return filters.allows(categories=self.categories, rating=self.rating, free=self.free, all_sites=self.all_sites)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Candidate:
        tuples = {"categories", "category_names", "tags", "sites"}
        values: dict[str, Any] = {key: tuple(value) if key in tuples else value for key, value in data.items()}
        return cls(**values)


Search = Callable[[str, Filters, frozenset[str], int], list[Candidate]]
"""search(query, filters, exclude, k): the best k add-ons for a query, none of the excluded slugs."""
