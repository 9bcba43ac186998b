"""A card's reason says why it is worth a look, as a person would, never which words matched where."""

from __future__ import annotations

import pytest

from marketplace.records import AddonRecord
from marketplace.services import addon_upsert
from retrieval.cards import addon_card

pytestmark = pytest.mark.django_db


def card_for(query: str = "", language: str = "en", **facts) -> dict:
    values = {
        "slug": "tube-helper",
        "name": "Tube Helper",
        "summary": "Better video pages on YouTube.",
        "rating": 4.62,
        "rating_count": 120,
        "host_permissions": ["*://*.youtube.com/*"],
        **facts,
    }
    return addon_card(addon_upsert(record=AddonRecord(**values))[0], query=query, language=language)


def test_the_site_asked_for_price_and_rating_make_the_reason():
    card = card_for("dark mode for youtube")
    assert card["reason"] == "Works on YouTube · free · 4.6\u2605"
    assert card["sites"] == ["YouTube"] and card["free"] is True


def test_open_source_promoted_and_paid_add_ons_say_so():
    card = card_for(license="MIT License", promoted=True, requires_payment=True, rating=None)
    assert card["reason"] == "Recommended · Works on YouTube · paid · open source"


def test_an_add_on_for_many_sites_names_one_only_when_the_visitor_asked():
    patterns = [f"*://*.{site}.com/*" for site in ("reddit", "github", "twitter", "youtube")]
    assert card_for("tidy pages", host_permissions=patterns)["reason"] == "free · 4.6\u2605"
    assert card_for("tidy github pages", host_permissions=patterns)["reason"] == "Works on Github · free · 4.6\u2605"


def test_the_reason_comes_in_the_visitors_language():
    assert card_for("youtube", language="de")["reason"] == "Für YouTube · kostenlos · 4,6\u2605"
    assert card_for("youtube", language="fr")["reason"] == "Pour YouTube · gratuit · 4,6\u2605"


@pytest.mark.parametrize("query", ["youtube video", "block ads", ""])
def test_no_reason_exposes_ranking_internals(query):
    reason = card_for(query)["reason"]
    assert not any(internal in reason for internal in ("Matched", "tags", "description", "name:", '"'))
