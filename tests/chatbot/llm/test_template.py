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


def test_recommend_lists_every_card_with_its_reason(request_for):
    text = template_reply(request_for("recommend"))
    assert "three add-ons" in text and "“block ads on youtube”" in text
    assert 'uBlock Origin (matched tags: "ads")' in text and "YouTube NonStop." in text


def test_one_card_reads_naturally(request_for, cards):
    text = template_reply(request_for("recommend", cards=cards[:1], need=""))
    assert "add-ons" not in text and "“" not in text


def test_recommend_without_cards_apologises(request_for):
    assert "orry" in template_reply(request_for("recommend", cards=()))


def test_wording_varies_across_turns(request_for):
    texts = {template_reply(request_for("thanks", history=(("user", "hi"),) * turn)) for turn in range(3)}
    assert len(texts) == 3


def test_streams_word_by_word(request_for, params):
    pieces = list(TemplateBackend().stream(request_for("thanks"), params))
    assert len(pieces) > 3 and all(piece.strip() and " " not in piece.strip() for piece in pieces)
