"""AMO's fifteen extension categories: the names a category slug shows as."""

AMO_CATEGORIES: dict[str, str] = {
    "alerts-updates": "Alerts & Updates",
    "appearance": "Appearance",
    "bookmarks": "Bookmarks",
    "download-management": "Download Management",
    "feeds-news-blogging": "Feeds, News & Blogging",
    "games-entertainment": "Games & Entertainment",
    "language-support": "Language Support",
    "photos-music-videos": "Photos, Music & Videos",
    "privacy-security": "Privacy & Security",
    "search-tools": "Search Tools",
    "shopping": "Shopping",
    "social-communication": "Social & Communication",
    "tabs": "Tabs",
    "web-development": "Web Development",
    "other": "Other",
}


def category_name(slug: str) -> str:
    """The display name of a category slug; unknown slugs read as title case."""
    return AMO_CATEGORIES.get(slug) or slug.replace("-", " ").title()
