"""What the policy knows about an add-on, and the search it is handed to find them.

The policy sees plain values rather than model instances, so it runs (and is tested) without a database.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

from chatbot.retrieval.recommend import Filters
from chatbot.retrieval.text import fold

OPEN_SOURCE_LICENSE = re.compile(
    r"\b(?:mit|[al]?gpl|mpl|apache|bsd|isc|unlicen[cs]e|cc0|zlib|eupl|osl|wtfpl|public domain|"
    r"(?:general|mozilla) public licen[cs]e|artistic licen[cs]e|open source|free software)\b"
)
SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or"})


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
    sites: tuple[str, ...] = ()  # domains from host permissions, e.g. "youtube.com"
    license: str = ""
    score: float = 0.0
    reason: str = ""

    @property
    def open_source(self) -> bool:
        return bool(OPEN_SOURCE_LICENSE.search(fold(self.license)))

    def allowed_by(self, filters: Filters) -> bool:
        """The Filters checks a candidate's own facts can answer (its rating is not among them)."""
        return not (
            (filters.category and filters.category not in self.categories)
            or (filters.free_only and not self.free)
            or (filters.no_all_sites and self.all_sites)
        )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Candidate:
        tuples = {"categories", "category_names", "tags", "sites"}
        return cls(**{key: tuple(value) if key in tuples else value for key, value in data.items()})


Search = Callable[[str, Filters, frozenset[str], int], list[Candidate]]
"""search(query, filters, exclude, k): the best k add-ons for a query, none of the excluded slugs."""


def sites_from_permissions(patterns: Iterable[str]) -> tuple[str, ...]:
    """Named websites an add-on asks to run on: "*://*.youtube.com/*" gives "youtube.com".

    Blanket patterns (<all_urls>, "*://*/*"), local files, localhost and IP addresses name no site.
    """
    sites: dict[str, None] = {}
    for pattern in patterns:
        scheme, separator, rest = pattern.strip().lower().partition("://")
        if not separator or scheme == "file":
            continue
        host = rest.split("/", 1)[0].rsplit("@", 1)[-1].split(":", 1)[0]
        for prefix in ("*.", "www."):
            host = host.removeprefix(prefix)
        if "*" in host or "." not in host or host.replace(".", "").isdigit():
            continue
        sites[host] = None
    return tuple(sites)


def site_key(domain: str) -> str:
    """The name a domain goes by: "mail.google.co.uk" and "google.com" are both "google"."""
    labels = domain.lower().split(".")
    if len(labels) > 1:
        labels = labels[:-1]
    if len(labels) > 1 and labels[-1] in SECOND_LEVEL and len(domain.rsplit(".", 1)[-1]) == 2:
        labels = labels[:-1]
    return labels[-1]
