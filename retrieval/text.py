"""Query and document text for the rankers: lower case, stop words out, a light suffix stemmer, and
the parts of a need that name what the visitor rules out.

Visitors write "tabs", "blocking", "websites"; listings write "tab", "blocker", "website". Plurals are
made singular first (only "-es" after a hissing sound, so "websites" stays "website" and meets it),
then a few verb suffixes go; Snowball measured worse here ("blocker" and "block" stay apart).
"""

from __future__ import annotations

import re
import unicodedata

TOKEN = re.compile(r"[a-z0-9]+")
STOP_WORDS = frozenset(
    """a about above after again all also am an and any are as at be because been being below between
    both but by can could did do does doing down during each even every few for from further get gets got
    had has have having he her here hers him his how i if in into is it its itself just like lot lots
    me more most my myself need needs no nor not now of off on once only or other our out over own please
    really same she should so some something such than that the their them then there these they thing
    things this those through to too under until up very want wants was way we were what when where which
    while who whom why will with without would you your yours add addon addons extension extensions
    firefox browser tool tools help helps make makes let lets use using""".split()
)
VERB_SUFFIXES = ("ing", "er", "ed")
HISSING_PLURALS = ("sses", "xes", "zes", "ches", "shes")
NOT_PLURALS = frozenset({"news", "series", "species", "always", "alias"})
RULED_OUT = re.compile(
    r"\b(?:instead of|rather than|other than|except|apart from"
    r"|without (?:using|installing|switching to|going through))\b"
    r"[^,.;:!?]*",
    re.IGNORECASE,
)


def fold(text: str) -> str:
    """Lower case without accents, so "Café" and "cafe" meet."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def singular(word: str) -> str:
    if word in NOT_PLURALS:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(HISSING_PLURALS):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def stem(word: str) -> str:
    if len(word) <= 3 or word.isdigit():
        return word
    word = singular(word)
    if word.endswith("ie"):  # "cookie" meets "cookies" (-> "cooky")
        word = word[:-2] + "y"
    for suffix in VERB_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            root = word[: -len(suffix)]
            return root[:-1] if len(root) > 3 and root[-1] == root[-2] else root
    return word


def without_ruled_out(query: str) -> str:
    """The need without the clauses that rule a means out ("..., without installing an app", "instead of ...").

    Both rankers would otherwise pull in exactly what the visitor does not want: every proxy switcher
    for "change my user agent without installing a proxy". A bare "without" stays: "Twitch without
    ads" names the effect wanted. A need that is nothing but such a clause is kept whole.
    """
    kept = " ".join(RULED_OUT.sub(" ", query).split())
    return kept if words(kept) else query


def words(text: str) -> list[str]:
    """Folded words with stop words and stray letters ("Unpaywall's" -> "s") removed, unstemmed."""
    return [word for word in TOKEN.findall(fold(text)) if word not in STOP_WORDS and (len(word) > 1 or word.isdigit())]


def tokens(text: str) -> list[str]:
    """Stemmed index terms."""
    return [stem(word) for word in words(text)]
