"""Follow-up questions on real pools (the demo catalogue): options a person would offer, not lone words."""

from __future__ import annotations

import pytest

from chatbot.dialogue.questions import FUNCTION, splits
from chatbot.search import search_candidates
from retrieval.query import Filters

NEEDS = ["my eyes hurt when I read at night", "block ads", "translate a page", "download videos from youtube",
         "remember my passwords", "too many tabs open", "stop videos from autoplaying"]  # fmt: skip


@pytest.fixture
def pools(demo_catalog):
    return {need: search_candidates(need, Filters(), frozenset(), 30) for need in NEEDS}


def test_what_it_does_is_offered_as_short_phrases_from_the_pool(pools):
    offered = []
    for need, pool in pools.items():
        for split in splits(pool, asked=set(), constraints=[], query=need):
            if split.facet == FUNCTION:
                offered += [option.label for option in split.options]
                for option in split.options:
                    assert 2 <= len(option.label.split()) <= 5, (need, option.label)
                    said = " ".join(f"{candidate.name} {candidate.summary}" for candidate in pool).lower()
                    assert all(word in said for word in option.label.lower().split()), option.label
    assert offered  # the pools do split by what they do
