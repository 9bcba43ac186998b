"""What a search takes: the visitor's words (at most MAX_QUERY_CHARS) and the Filters that narrow it.

Plain Python, so the dialogue policy, the API and the rankers share one meaning of every filter.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

MAX_QUERY_CHARS = 1000  # a need, in the chat or the API; longer text is not a need but a paste


@dataclass(frozen=True)
class Filters:
    """What a visitor or an integrator may narrow results by."""

    category: str = ""
    min_rating: float | None = None
    free_only: bool = False
    no_all_sites: bool = False

    def allows(self, *, categories: Collection[str], rating: float | None, free: bool, all_sites: bool) -> bool:
        """Whether an add-on with these facts passes; an unknown rating fails a minimum rating."""
        return not (
            (self.category and self.category not in categories)
            or (self.min_rating is not None and (rating or 0.0) < self.min_rating)
            or (self.free_only and not free)
            or (self.no_all_sites and all_sites)
        )
