"""Tokenising for the lexical ranker: lower case, stop words out, a light suffix stemmer.

Visitors write "tabs", "blocking", "videos"; listings write "tab", "blocker", "video". A few suffix
rules make those meet without a stemming library.
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
    firefox browser tool tools help helps make makes let lets use using"""
    .split()
)
SUFFIXES = ("ies", "ing", "ers", "er", "ed", "es", "s")


def fold(text: str) -> str:
    """Lower case without accents, so "Café" and "cafe" meet."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def stem(word: str) -> str:
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            root = word[: -len(suffix)]
            if suffix == "ies":
                return root + "y"
            if len(root) > 3 and root[-1] == root[-2] and suffix in {"ing", "ed", "er", "ers"}:
                return root[:-1]
            return root
    return word


def words(text: str) -> list[str]:
    """Folded words with stop words removed, unstemmed (for matching and typo correction)."""
    return [word for word in TOKEN.findall(fold(text)) if word not in STOP_WORDS]


def tokens(text: str) -> list[str]:
    """Stemmed index terms."""
    return [stem(word) for word in words(text)]
