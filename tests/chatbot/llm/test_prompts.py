import pytest

from chatbot.llm.prompts import build_messages
from tests.chatbot.llm.conftest import CATALOGUE


def test_recommend_prompt_carries_the_cards_facts_and_the_need(request_for, cards):
    system, user = build_messages(request_for("recommend"))
    assert system["role"] == "system" and "only the add-ons listed" in system["content"]
    assert "1 to 3 short" in system["content"]
    content = user["content"]
    for card in cards:
        assert card.name in content
        assert card.summary.rstrip(".") in content
    assert "Privacy & Security" in content and "Rated 4.8/5" in content and "9,000,000 users" in content
    assert 'Why: Matched tags: "ads".' in content
    assert "Visitor's need: block ads on youtube" in content


def test_prompt_holds_no_other_catalogue_data(request_for, cards):
    card_names = {card.name for card in cards}
    text = " ".join(message["content"] for message in build_messages(request_for("recommend")))
    assert [name for name in CATALOGUE if name in text and name not in card_names] == []
    assert "ublock-origin" not in text  # slugs and links stay out, they are the cards' business


def test_missing_facts_are_left_out(request_for, cards):
    content = build_messages(request_for("recommend", cards=cards[2:]))[1]["content"]
    assert "Rated" not in content and "users" not in content and "Why:" not in content


def test_question_prompt_asks_for_a_lead_in_only(request_for):
    content = build_messages(request_for("question", question="Do you use YouTube on mobile too?"))[1]["content"]
    assert "Do you use YouTube on mobile too?" in content
    assert "Do not ask it yourself" in content


@pytest.mark.parametrize("kind, words", [("more", "more options"), ("thanks", "Thank them"),
                                         ("empty", "Apologise")])
def test_each_kind_has_its_task(request_for, kind, words):
    content = build_messages(request_for(kind))[1]["content"]
    assert words in content
    if kind == "empty":
        assert "Add-ons:" not in content


def test_long_summaries_are_clipped(request_for, cards):
    long_card = cards[0].__class__(**{**cards[0].__dict__, "summary": "word " * 200})
    content = build_messages(request_for("recommend", cards=(long_card,)))[1]["content"]
    assert len(content) < 500
