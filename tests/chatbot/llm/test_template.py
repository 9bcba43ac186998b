import pytest

from chatbot.llm.guard import ReplyGuard
from chatbot.llm.template import TemplateBackend, template_reply
from tests.chatbot.llm.conftest import CATALOGUE

KINDS = ["recommend", "more", "question", "thanks", "empty"]


@pytest.mark.parametrize("kind", KINDS)
def test_template_names_only_card_names(request_for, params, cards, kind):
    request = request_for(kind, question="Which site?")
    text = "".join(TemplateBackend().stream(request, params))
    assert text == template_reply(request) and text.strip()
    card_names = {card.name for card in request.cards}
    assert [name for name in CATALOGUE if name in text and name not in card_names] == []
    guard = ReplyGuard(request.cards, CATALOGUE, need=request.need, require_card=kind in ("recommend", "more"))
    assert "".join(guard.feed(text) + guard.finish()) == text and not guard.corrected


def test_recommend_says_what_each_card_does_in_its_own_words(request_for):
    text = template_reply(request_for("recommend", said="I want to block ads on YouTube"))
    assert text == (
        "Here are a few add-ons for “I want to block ads on YouTube”. uBlock Origin — an efficient wide-spectrum"
        " content blocker. Dark Reader — dark mode for every website. YouTube NonStop — Tired of the 'Video"
        " paused' prompt."
    )


@pytest.mark.parametrize("kind", ["recommend", "more"])
def test_no_reply_exposes_ranking_internals(request_for, kind):
    text = template_reply(request_for(kind, said="block ads"))
    assert not any(internal in text for internal in ("matched", "Matched", "tags:", "description:", "name:", "score"))


def test_one_card_reads_naturally(request_for, cards):
    text = template_reply(request_for("recommend", cards=cards[:1], need="", said="stop ads"))
    assert text == "This add-on could help with “stop ads”. uBlock Origin — an efficient wide-spectrum content blocker."


def test_replies_come_in_the_visitors_language(request_for, cards):
    german = template_reply(request_for("recommend", said="Werbung blockieren", language="de"))
    assert german.startswith("Hier sind ein paar Add-ons für „Werbung blockieren“.") or german.startswith(
        "Diese könnten bei „Werbung blockieren“ helfen."
    )
    assert "uBlock Origin — an efficient wide-spectrum content blocker." in german  # the listing's own words
    assert template_reply(request_for("thanks", language="fr")).startswith(("Ravi", "Avec plaisir"))
    assert template_reply(request_for("empty", said="xyz", language="es")).startswith("Lo siento")
    assert template_reply(request_for("thanks", language="sv")) == template_reply(request_for("thanks"))


def test_recommend_without_cards_apologises(request_for):
    assert "orry" in template_reply(request_for("recommend", cards=()))


def test_wording_varies_across_turns(request_for):
    texts = {template_reply(request_for("thanks", history=(("user", "hi"),) * turn)) for turn in range(3)}
    assert len(texts) == 2


def test_streams_word_by_word(request_for, params):
    pieces = list(TemplateBackend().stream(request_for("thanks"), params))
    assert len(pieces) > 3 and all(piece.strip() and " " not in piece.strip() for piece in pieces)
