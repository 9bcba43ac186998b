"""Typo correction: misspellings are read as the catalogue word meant, real words are left alone."""

from __future__ import annotations

from retrieval.embedder import known_words
from retrieval.lexical import LexicalIndex


def row(slug: str, name: str, summary: str) -> dict:
    return {
        "slug": slug,
        "name": name,
        "tags": [],
        "summary_text": summary,
        "categories": "Other",
        "category_slugs": {"other"},
        "sites": "",
        "rating": 4.0,
        "free": True,
        "all_sites": False,
    }


ROWS = [
    row("pass-keeper", "Password Manager", "Keeps every password; a maker of width presets."),
    row("sound-board", "Sound Board", "Plays sounds from a pinto bean."),
]


def test_misspellings_become_catalogue_words():
    index = LexicalIndex(ROWS, known=known_words())
    assert index.corrected("Pasword manger") == "password manager"


def test_stop_words_are_never_corrected_even_without_a_dictionary():
    index = LexicalIndex(ROWS)
    assert index.corrected("make it into a list") == "make it into a list"


def test_real_words_the_catalogue_lacks_stay_as_written():
    index = LexicalIndex(ROWS, known=known_words())
    assert index.corrected("with pounds") == "with pounds"
    assert LexicalIndex(ROWS).corrected("pounds") == "sounds"  # what happened without the dictionary
    assert {"pounds", "width", "through"} <= known_words() and "pasword" not in known_words()
