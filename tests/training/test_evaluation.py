"""Scoring one held-out answer as the chat would judge it."""

from dataclasses import asdict

from chatbot.llm.base import CardFact
from training.evaluation import score

NIGHT_SHADE = CardFact(
    slug="night-shade", name="Night Shade", summary="Dims bright pages at night.", categories=("Appearance",),
    rating=4.5, users=1200, reason="",
)  # fmt: skip


def test_an_answer_is_scored_on_the_addon_it_names_and_the_sentences_the_cards_support():
    row = {"need": "pages too bright", "answer_name": "Night Shade", "cards": [asdict(NIGHT_SHADE)]}
    answer = "Night Shade dims bright pages at night. Night Shade encrypts pages with SSL. It also"
    scored = score(row, answer, catalogue_names={"night shade", "tab napper"})
    assert scored["named"] and scored["sentences"] == 2  # the sentence cut off by the token budget is left out
    assert scored["supported"] == 1
    assert scored["slips"] == [["Night Shade encrypts pages with SSL", ["encrypts", "ssl"]]]
    assert scored["invented"] == []
    wrong = score(row, "Tab Napper dims pages.", catalogue_names={"night shade", "tab napper"})
    assert not wrong["named"] and wrong["invented"] == ["Tab Napper"]


def test_the_held_out_figures_keep_whole_answers_that_name_add_ons_off_the_cards(monkeypatch):
    from training import evaluation

    row = {"need": "pages too bright", "answer_name": "Night Shade", "cards": [asdict(NIGHT_SHADE)], "prompt": "p"}
    replies = ["Night Shade dims bright pages at night.", "Tab Napper dims pages."]
    monkeypatch.setattr(evaluation, "answers", lambda model, tokenizer, prompts, device: replies[: len(prompts)])
    figures = evaluation.grounded_check(
        model=type("Model", (), {"eval": lambda self: None})(), tokenizer=None, rows=[row, row], device="cpu",
        catalogue_names={"night shade", "tab napper"},
    )  # fmt: skip
    assert figures["named_right"] == 1 and figures["invented"] == 1
    assert figures["inventions"] == [["Tab Napper dims pages.", ["Tab Napper"]]]
