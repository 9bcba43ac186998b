"""A small catalogue of Candidates and a word-overlap search over it, so policy tests need no index."""

from __future__ import annotations

from dataclasses import replace

from chatbot.dialogue.candidates import Candidate
from marketplace.categories import AMO_CATEGORIES
from retrieval.query import Filters
from retrieval.text import tokens


def candidate(
    slug: str,
    name: str,
    summary: str,
    category: str,
    *,
    tags: tuple[str, ...] = (),
    sites: tuple[str, ...] = (),
    free: bool = True,
    all_sites: bool = False,
    license: str = "MIT",
) -> Candidate:
    return Candidate(
        slug=slug,
        name=name,
        summary=summary,
        categories=(category,),
        category_names=(AMO_CATEGORIES[category],),
        tags=tags,
        free=free,
        all_sites=all_sites,
        sites=sites,
        license=license,
    )


CATALOGUE = [
    candidate(
        "youtube-dark",
        "Dark Theme for YouTube",
        "A dark mode for YouTube pages at night.",
        "appearance",
        tags=("dark mode", "youtube"),
        sites=("youtube.com",),
    ),
    candidate(
        "youtube-autoplay",
        "Autoplay Stopper",
        "Stops autoplay of the next video on YouTube.",
        "photos-music-videos",
        tags=("youtube",),
        sites=("youtube.com",),
    ),
    candidate(
        "youtube-subtitles",
        "Subtitle Grabber",
        "Download subtitles of YouTube videos as text files.",
        "download-management",
        tags=("youtube",),
        sites=("youtube.com",),
        license="All Rights Reserved",
    ),
    candidate(
        "reddit-dark",
        "Night Reddit",
        "A dark mode for Reddit threads and comments.",
        "appearance",
        tags=("dark mode", "reddit"),
        sites=("reddit.com",),
    ),
    candidate(
        "reddit-comments",
        "Comment Folder",
        "Collapse long comment threads on Reddit.",
        "social-communication",
        tags=("reddit",),
        sites=("www.reddit.com",),
        license="",
    ),
    candidate(
        "github-dark",
        "Dark GitHub",
        "A dark mode for GitHub code pages.",
        "appearance",
        tags=("dark mode",),
        sites=("github.com",),
        license="GPL-3.0",
    ),
    candidate(
        "github-icons",
        "File Icons for GitHub",
        "Shows file type icons in GitHub repositories.",
        "web-development",
        sites=("github.com",),
    ),
    candidate(
        "dark-everywhere",
        "Dark Everywhere",
        "A dark mode for every website you visit.",
        "appearance",
        tags=("dark mode",),
        all_sites=True,
        license="Mozilla Public License 2.0",
    ),
    candidate("tab-groups", "Tab Groups", "Group tabs by project and switch between groups.", "tabs", tags=("tabs",)),
    candidate(
        "tab-sessions", "Tab Sessions", "Save and restore tab sessions after a crash.", "tabs", tags=("tabs", "session")
    ),
    candidate(
        "ad-shield",
        "Ad Shield",
        "Blocks ads and trackers on every website.",
        "privacy-security",
        tags=("ad blocker", "privacy"),
        all_sites=True,
        license="GPL-3.0",
    ),
    candidate(
        "cookie-jar",
        "Cookie Jar",
        "Deletes cookies when you close a tab, privacy first.",
        "privacy-security",
        tags=("privacy",),
        license="All Rights Reserved",
    ),
    candidate(
        "pro-notes",
        "Pro Notes",
        "Take notes on any page; a paid subscription.",
        "other",
        free=False,
        all_sites=True,
        license="All Rights Reserved",
    ),
]


def allowed(item: Candidate, filters: Filters, exclude: frozenset[str]) -> bool:
    return item.slug not in exclude and item.allowed_by(filters)


def make_search(catalogue: list[Candidate] = CATALOGUE, calls: list | None = None):
    """search(query, filters, exclude, k): overlap of stemmed words, best first, filters and exclude honoured."""

    def search(query: str, filters: Filters, exclude: frozenset[str], k: int) -> list[Candidate]:
        if calls is not None:
            calls.append((query, filters, exclude, k))
        wanted = set(tokens(query))
        scored = []
        for position, item in enumerate(catalogue):
            text = " ".join([item.name, item.summary, *item.tags, *item.category_names, *item.sites])
            overlap = len(wanted & set(tokens(text)))
            if overlap and allowed(item, filters, exclude):
                scored.append((-overlap, position, item))
        return [replace(item, score=float(-negative)) for negative, _, item in sorted(scored)[:k]]

    return search
