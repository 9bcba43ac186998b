import pytest

from chatbot.llm.prompts import build_messages
from tests.chatbot.llm.conftest import CATALOGUE


def test_recommend_prompt_carries_the_cards_facts_and_the_need_after_one_worked_example(request_for):
    system, example, answer, user = build_messages(request_for("recommend"))
    assert system["role"] == "system" and user["role"] == "user"
    assert "one short sentence that starts with its exact name" in system["content"]
    assert "Never invent add-ons, features" in system["content"]
    assert (example["role"], answer["role"]) == ("user", "assistant")
    assert (
        answer["content"]
        == "Quick Calc is a calculator in your toolbar. Math Helper solves equations for you step by step."
    )
    assert user["content"].splitlines() == [
        "I need: block ads on youtube",
        "Add-ons you found for me:",
        "- uBlock Origin (Privacy & Security): An efficient wide-spectrum content blocker",
        "- Dark Reader (Appearance): Dark mode for every website",
        "- YouTube NonStop (Photos, Music & Videos): Tired of the 'Video paused' prompt?",
        "Tell me briefly what each one does for me.",
    ]


def test_prompt_holds_no_other_catalogue_data(request_for, cards):
    card_names = {card.name for card in cards}
    text = " ".join(message["content"] for message in build_messages(request_for("recommend")))
    assert [name for name in CATALOGUE if name in text and name not in card_names] == []
    assert "ublock-origin" not in text  # slugs and links stay with the cards


def test_question_prompt_asks_for_a_lead_in_only(request_for):
    content = build_messages(request_for("question", cards=(), question="Do you use YouTube on mobile?"))[-1]["content"]
    assert "you will ask me: Do you use YouTube on mobile?" in content
    assert "without asking it" in content and "Add-ons" not in content


@pytest.mark.parametrize(
    "kind, words", [("more", "more options"), ("thanks", "one warm sentence"), ("empty", "Apologise")]
)
def test_each_kind_has_its_task(request_for, kind, words):
    content = build_messages(request_for(kind))[-1]["content"]
    assert words in content and content.startswith("I need: block ads on youtube")


def test_long_summaries_are_clipped(request_for, cards):
    long_card = cards[0].__class__(**{**cards[0].__dict__, "summary": "word " * 200})
    line = build_messages(request_for("recommend", cards=(long_card,), need=""))[-1]["content"].splitlines()[1]
    assert len(line) < 150 and "…" in line
