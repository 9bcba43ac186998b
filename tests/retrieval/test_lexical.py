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


def test_typo_correction_is_bounded_per_query_and_remembered():
    from retrieval.lexical import MAX_CORRECTED, LexicalIndex

    index = LexicalIndex(
        [
            {
                "slug": "spotify-helper",
                "name": "Spotify Helper",
                "summary_text": "Control spotify playback",
                "tags": [],
                "categories": "",
                "sites": "",
            }
        ]
    )
    looked_up: list[str] = []
    closest = index._closest
    index._closest = lambda word: looked_up.append(word) or closest(word)  # type: ignore[method-assign]
    assert index.corrected("spotfy") == "spotify"
    gibberish = " ".join(f"qzxw{n}vbnm" for n in range(200))
    index.corrected(gibberish)
    assert len(looked_up) == 1 + MAX_CORRECTED
    assert index._corrections["spotfy"] == "spotify"
