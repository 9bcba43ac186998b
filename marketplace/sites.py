"""The websites an add-on asks to run on, read from its permission patterns.

One reading for every consumer: the index says "Works on: netflix" (many listings never name the site
their permissions do), and the dialogue offers "Which site should it work on?". Plain Python.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

ALL_SITES_PATTERNS = frozenset({"<all_urls>", "*://*/*", "http://*/*", "https://*/*", "*://*/"})
HOST_PREFIXES = ("*.", "www.", "m.")
# Second-level labels under a two-letter country domain: "bbc.co.uk" is "bbc", "google.com.br" "google".
SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or"})


def needs_all_sites(patterns: Iterable[str]) -> bool:
    """Whether the add-on asks to read and change data on every website."""
    return any(pattern in ALL_SITES_PATTERNS for pattern in patterns)


def site_domains(patterns: Iterable[str]) -> tuple[str, ...]:
    """Named websites in permission patterns, in order: "*://*.youtube.com/*" gives "youtube.com".

    Blanket patterns (<all_urls>, "*://*/*"), API permissions ("tabs"), local files, localhost and IP
    addresses name no site.
    """
    domains: dict[str, None] = {}
    for pattern in patterns:
        scheme, separator, rest = pattern.strip().lower().partition("://")
        if not separator or scheme == "file":
            continue
        host = rest.split("/", 1)[0].rsplit("@", 1)[-1].split(":", 1)[0]
        while host.startswith(HOST_PREFIXES):
            host = host.split(".", 1)[1]
        if "*" in host or "." not in host or not host.rsplit(".", 1)[-1].isalpha():
            continue
        domains[host] = None
    return tuple(domains)


def site_name(domain: str) -> str:
    """The name a domain goes by: "mail.google.co.uk" and "google.com" are both "google"."""
    labels = domain.lower().split(".")
    if len(labels) > 1:
        labels = labels[:-1]
    if len(labels) > 1 and labels[-1] in SECOND_LEVEL and len(domain.rsplit(".", 1)[-1]) == 2:
        labels = labels[:-1]
    return labels[-1]


def site_names(patterns: Iterable[str]) -> list[str]:
    """The distinct names of the sites the patterns name: ["youtube", "netflix"]. A short link domain
    ("youtu.be") goes with the site it shortens."""
    names = [name for name in dict.fromkeys(map(site_name, site_domains(patterns))) if name.isalnum()]
    return [name for name in names if not any(other != name and other.startswith(name) for other in names)]


def site_label(name: str, *, domains: Iterable[str] = (), texts: Iterable[str] = ()) -> str:
    """How people write a site: the cased form the texts use ("YouTube", "TETR.IO"), else its name
    capitalised ("Netflix")."""
    domains = [domain for domain in domains if site_name(domain) == name]
    patterns = [re.escape(domain) for domain in dict.fromkeys(domains)] + [re.escape(name).replace(r"\ ", r"\s+")]
    forms: Counter = Counter()
    for text in texts:
        for pattern in patterns:
            forms.update(re.findall(rf"(?<![\w.]){pattern}(?![\w])", text, flags=re.IGNORECASE))
            if forms:
                break
    cased = [
        (count, sum(char.isupper() for char in form), form) for form, count in forms.items() if form != form.lower()
    ]
    if cased:
        return max(cased)[2]
    return name.capitalize()
