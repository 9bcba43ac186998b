"""Query and document text: word forms meet, ruled-out clauses go."""

from __future__ import annotations

import pytest

from retrieval.text import stem, tokens, without_ruled_out


@pytest.mark.parametrize(
    "plural, singular",
    [
        ("websites", "website"),
        ("pages", "page"),
        ("files", "file"),
        ("cookies", "cookie"),
        ("movies", "movie"),
        ("switches", "switch"),
        ("boxes", "box"),
        ("tabs", "tab"),
        ("blockers", "blocking"),
        ("passes", "pass"),
    ],
)
def test_plural_and_verb_forms_meet(plural, singular):
    assert stem(plural) == stem(singular)


def test_words_that_only_look_plural_stay_whole():
    assert stem("news") != stem("new") and stem("status") == "status" and stem("analysis") == "analysis"
    assert tokens("Blocking the popups") == ["block", "popup"] and stem("dns") == "dns"


@pytest.mark.parametrize(
    "need, kept",
    [
        (
            "make sites think I'm elsewhere, location and timezone, without using a VPN",
            "make sites think I'm elsewhere, location and timezone,",
        ),
        ("browse a repo as a tree instead of clicking folder by folder", "browse a repo as a tree"),
        ("any tracker blocker except ghostery. and fast", "any tracker blocker . and fast"),
        ("watch twitch without the ads", "watch twitch without the ads"),
    ],
)
def test_ruled_out_clauses_leave_the_need(need, kept):
    assert without_ruled_out(need) == kept


def test_a_need_that_only_rules_out_is_kept_whole():
    assert without_ruled_out("instead of a VPN") == "instead of a VPN"
