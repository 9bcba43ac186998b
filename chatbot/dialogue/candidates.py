"""What the policy knows about an add-on, and the search it is handed to find them.

The policy sees plain values rather than model instances, so it runs (and is tested) without a database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

from marketplace.licenses import is_open_source
from retrieval.query import Filters


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

    @property
    def open_source(self) -> bool:
        return is_open_source(self.license)

    def allowed_by(self, filters: Filters) -> bool:
        return filters.allows(categories=self.categories, rating=self.rating, free=self.free, all_sites=self.all_sites)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Candidate:
        tuples = {"categories", "category_names", "tags", "sites"}
        known = {item.name for item in fields(cls)}  # a state stored by an older version may hold more
        values: dict[str, Any] = {
            key: tuple(value) if key in tuples else value for key, value in data.items() if key in known
        }
        return cls(**values)


Search = Callable[[str, Filters, frozenset[str], int], list[Candidate]]
"""search(query, filters, exclude, k): the best k add-ons for a query, none of the excluded slugs."""
