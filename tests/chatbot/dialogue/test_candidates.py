from __future__ import annotations

import json

import pytest

from chatbot.dialogue.candidates import Candidate
from retrieval.query import Filters
from tests.chatbot.dialogue.fakes import CATALOGUE


@pytest.mark.parametrize(
    "license, expected",
    [
        ("MIT", True),
        ("GPL-3.0-only", True),
        ("Mozilla Public License 2.0", True),
        ("BSD 2-Clause", True),
        ("Apache License 2.0", True),
        ("All Rights Reserved", False),
        ("", False),
        ("Custom License", False),
    ],
)
def test_open_source_licences_are_recognised(license, expected):
    assert Candidate("x", "X", "", license=license).open_source is expected


def test_a_candidate_round_trips_through_json():
    for item in CATALOGUE:
        assert Candidate.from_dict(json.loads(json.dumps(item.to_dict()))) == item


def test_filters_read_a_candidates_own_facts():
    paid = Candidate("x", "X", "", categories=("tabs",), free=False, all_sites=True, rating=4.2)
    assert paid.allowed_by(Filters()) and paid.allowed_by(Filters(category="tabs", min_rating=4.0))
    assert not paid.allowed_by(Filters(free_only=True)) and not paid.allowed_by(Filters(no_all_sites=True))
    assert not paid.allowed_by(Filters(category="appearance")) and not paid.allowed_by(Filters(min_rating=4.5))
    assert not Candidate("y", "Y", "").allowed_by(Filters(min_rating=1.0))  # an unknown rating fails a minimum
