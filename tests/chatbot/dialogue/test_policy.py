from __future__ import annotations

import json

import pytest

from chatbot.dialogue.events import Answer, CardFeedback, Message, More, Reset, Satisfied, Unsatisfied
from chatbot.dialogue.policy import POOL_SIZE, decide
from chatbot.dialogue.questions import CATEGORY_FACET, FUNCTION, OPEN, SITE, TEXTS
from chatbot.dialogue.state import FREE, NO_ALL_SITES, TERM, Constraint, ConversationState, Option, Question
from tests.chatbot.dialogue.fakes import CATALOGUE, candidate, make_search

FREE_ONLY = Constraint(FREE, "1", "free only")
SITES = [("youtube", "YouTube"), ("reddit", "Reddit"), ("github", "GitHub"), ("twitch", "Twitch")]
DARK_MODES = CATALOGUE + [
    candidate(
        f"{site}-night-{index}",
        f"Night {label} {index}",
        f"Dark mode for {label} at night.",
        "appearance",
        tags=("dark mode",),
        sites=(f"{site}.com",),
    )
    for site, label in SITES
    for index in range(3)
]
YOUTUBE_HELPERS = [
    candidate(
        f"{category}-{index}", f"Helper {index}", f"Helper {index} for YouTube.", category, sites=("youtube.com",)
    )
    for category in ("appearance", "photos-music-videos", "download-management")
    for index in range(3)
]


def run(*events, catalogue=DARK_MODES, state=None):
    """Each event through decide(), the state persisted and reloaded between events as the consumer does."""
    state = state or ConversationState()
    search = make_search(catalogue)
    decisions = []
    for event in events:
        decisions.append(decide(state, event, search=search))
        restored = ConversationState.from_dict(json.loads(json.dumps(state.to_dict())))
        assert restored == state
        state = restored
    return state, decisions


def slugs(decision):
    return [card.slug for card in decision.cards]


def text_of(slug, catalogue=DARK_MODES):
    item = next(item for item in catalogue if item.slug == slug)
    return " ".join([item.name, item.summary, *item.tags, *item.sites]).lower()


def test_a_message_recommends_cards_for_its_query():
    state, [decision] = run(Message("A dark mode for YouTube please"))
    assert decision.action == "recommend" and decision.reply_kind == "recommend"
    assert decision.query == "dark mode for youtube"
    assert len(decision.cards) == 3 and decision.cards[0].slug == "youtube-dark"
    assert decision.has_more
    assert state.needs == ["A dark mode for YouTube please"]
    assert state.shown == slugs(decision)


def test_unsatisfied_asks_one_question_that_splits_the_pool():
    state, [_, decision] = run(Message("dark mode"), Unsatisfied())
    assert decision.action == "ask" and decision.reply_kind == "question" and not decision.cards
    assert decision.question.facet == SITE
    assert {"YouTube", "Reddit", "GitHub", "Twitch"} >= {option.label for option in decision.question.options}
    assert state.unsatisfied and state.open_question == decision.question.id
    assert decision.question.payload()["options"][0].keys() == {"id", "label"}


def test_an_answer_applies_its_constraint_and_shows_new_cards_that_satisfy_it():
    state, [first, question] = run(Message("dark mode"), Unsatisfied())
    option = next(option for option in question.question.options if option.label == "Reddit")
    state, [decision] = run(Answer(question.question.id, option.id), state=state)
    assert decision.action == "recommend" and decision.cards
    assert all("reddit" in text_of(slug) for slug in slugs(decision))
    assert not set(slugs(decision)) & set(slugs(first))
    assert state.question(question.question.id).answer_option == option.id
    assert "reddit" in decision.query and not state.open_question


def test_a_category_answer_filters_by_category():
    state, [first, question] = run(Message("youtube helper"), Unsatisfied(), catalogue=YOUTUBE_HELPERS)
    assert question.question.facet == CATEGORY_FACET
    option = question.question.options[0]
    state, [decision] = run(Answer(question.question.id, option.id), state=state, catalogue=YOUTUBE_HELPERS)
    assert decision.cards and all(card.categories == (option.id,) for card in decision.cards)
    assert state.filters().category == option.id
    assert not set(slugs(decision)) & set(slugs(first))


def test_an_answer_typed_as_text_picks_the_option_it_names():
    state, [_, question, decision] = run(Message("dark mode"), Unsatisfied(), Message("the one for Twitch"))
    assert decision.action == "recommend"
    assert all("twitch" in text_of(slug) for slug in slugs(decision))
    assert state.question(question.question.id).answer_option == "twitch"
    assert state.question(question.question.id).answer_text == "the one for Twitch"


def test_an_answer_typed_as_text_that_names_no_option_refines_the_query():
    state, [_, _, decision] = run(Message("dark mode"), Unsatisfied(), Message("something that works at night"))
    assert decision.action == "recommend"
    assert state.query == "dark mode works at night"
    assert not state.open_question


def test_no_preference_keeps_the_query_and_shows_new_cards():
    state, [first, _, decision] = run(Message("dark mode"), Unsatisfied(), Message("doesn't matter"))
    assert state.query == "dark mode" and not state.constraints
    assert decision.cards and not set(slugs(decision)) & set(slugs(first))


def test_shown_cards_never_repeat_across_unsatisfied_more_and_answers():
    state, decisions = run(Message("dark mode"), More(), Unsatisfied(), Message("anything"), More(), Unsatisfied())
    question = next(decision.question for decision in reversed(decisions) if decision.question)
    state, later = run(Answer(question.id, question.options[0].id), More(), More(), state=state)
    shown = [slug for decision in decisions + later for slug in slugs(decision)]
    assert len(shown) == len(set(shown)) == len(state.shown)


def test_a_down_vote_asks_a_question():
    state, [first, decision] = run(Message("dark mode"), CardFeedback(slug="reddit-dark", value="down"))
    assert "reddit-dark" in slugs(first)
    assert decision.action == "ask"
    assert state.feedback == {"reddit-dark": "down"}


def test_a_down_voted_add_on_never_comes_back():
    state, [_, decision] = run(CardFeedback(slug="reddit-dark", value="down"), Message("A dark mode for Reddit"))
    assert decision.cards and "reddit-dark" not in slugs(decision)
    assert "reddit-dark" in state.excluded()


def test_a_second_down_vote_while_a_question_is_open_just_remembers_it():
    state, [_, asked, second] = run(
        Message("dark mode"), CardFeedback("youtube-dark", "down"), CardFeedback("github-dark", "down")
    )
    assert asked.action == "ask" and second.action == "noop"
    assert state.feedback == {"youtube-dark": "down", "github-dark": "down"}


def test_an_up_vote_is_remembered_without_a_reply():
    state, [_, decision] = run(Message("dark mode"), CardFeedback("youtube-dark", "up"))
    assert decision.action == "noop" and decision.reply_kind == ""
    assert state.feedback == {"youtube-dark": "up"}


def test_rejecting_in_words_works_like_unsatisfied():
    state, [_, decision] = run(Message("dark mode"), Message("no, something else"))
    assert decision.action == "ask" and state.unsatisfied and state.query == "dark mode"


def test_after_a_quick_reply_missed_the_visitor_is_asked_in_their_own_words():
    state, [_, asked] = run(Message("dark mode"), Unsatisfied())
    assert asked.question.facet == SITE
    option = asked.question.options[0]
    state, [shown, again] = run(Answer(asked.question.id, option.id), Unsatisfied(), state=state)
    assert shown.cards and again.question.facet == OPEN and again.question.options == ()
    assert again.question.text == "What should it do? A few words of your own are enough."
    assert set(option.constraints) <= set(state.constraints)  # a site picked is a fact of the need: it stays


def test_a_missed_function_reply_stops_narrowing_but_a_yes_no_answer_stays():
    state, _ = run(Message("dark mode"))
    theme = Constraint(TERM, "night theme", "Night theme")
    state.questions.append(Question("q8", FUNCTION, "Closest?", (Option("night-theme", "Night theme", (theme,)),)))
    state, [shown, _] = run(Answer("q8", "night-theme"), Unsatisfied(), state=state)
    assert theme not in state.constraints  # only the nearest of the few offered
    free = Question("q9", "license", "Free?", (Option("yes", "Yes", (FREE_ONLY,)),))
    state.questions.append(free)
    state, [_, _, _] = run(Answer("q9", "yes"), Unsatisfied(), More(), state=state)
    assert FREE_ONLY in state.constraints


def test_a_description_in_the_visitors_words_replaces_a_vague_need():
    state, _ = run(Message("help with my tabs"))
    state.questions.append(Question("q9", OPEN, "What should it do?"))
    state.open_question = "q9"
    state, [decision] = run(Message("dark mode for youtube and reddit"), state=state)
    assert decision.query == "dark mode for youtube and reddit"


def test_an_answer_in_the_visitors_words_that_adds_to_the_need_refines_it():
    state, _ = run(Message("dark mode for websites"))
    state.questions.append(Question("q9", OPEN, "What should it do?"))
    state.open_question = "q9"
    state, [decision] = run(Message("on youtube"), state=state)
    assert decision.query == "dark mode for websites youtube"


def test_the_same_facet_is_never_asked_twice_without_a_quick_reply():
    _, decisions = run(Message("dark mode"), *[Unsatisfied()] * 6)
    facets = [decision.question.facet for decision in decisions if decision.question]
    assert facets and len(facets) == len(set(facets))


def test_a_pool_too_small_to_split_shows_the_next_best_cards_instead():
    state, [first, decision] = run(Message("tab sessions"), Unsatisfied(), catalogue=CATALOGUE)
    assert decision.action == "recommend" and decision.question is None
    assert not set(slugs(decision)) & set(slugs(first))


def test_more_pages_through_the_results():
    state, [first, more, exhausted] = run(Message("dark mode"), More(), Message("show me more"), catalogue=CATALOGUE)
    assert more.action == "more" and more.reply_kind == "more"
    assert slugs(more) == ["dark-everywhere"] and not more.has_more
    assert exhausted.reply_kind == "empty" and not exhausted.cards


def test_nothing_found_relaxes_the_most_recent_constraint_and_says_so():
    state, [decision] = run(Message("an ad blocker that is privacy friendly"), catalogue=CATALOGUE)
    assert decision.relaxed is not None and decision.relaxed.kind == NO_ALL_SITES
    assert slugs(decision) == ["ad-shield"]
    assert state.constraints == []


def test_nothing_found_at_all_is_an_empty_reply():
    _, [decision] = run(Message("spreadsheet formulas"))
    assert decision.action == "recommend" and decision.reply_kind == "empty" and not decision.cards


def test_a_follow_up_constraint_narrows_the_search():
    state, [_, decision] = run(Message("dark mode"), Message("something privacy friendly and open source"))
    assert state.filters().no_all_sites and state.query == "dark mode"
    assert decision.query == "dark mode open source"
    assert decision.cards and all(not card.all_sites and card.open_source for card in decision.cards)


def test_a_new_need_while_a_question_is_open_starts_over():
    state, [_, _, decision] = run(Message("dark mode"), Unsatisfied(), Message("I need to group my tabs"))
    assert state.query == "group my tabs" and not state.open_question
    assert slugs(decision)[:1] == ["tab-groups"]


def test_satisfied_closes_with_thanks():
    state, [_, decision] = run(Message("dark mode"), Satisfied())
    assert decision.action == "close" and decision.reply_kind == "thanks"
    assert state.satisfied and not state.unsatisfied
    _, [_, thanks] = run(Message("dark mode"), Message("perfect, thanks!"))
    assert thanks.action == "close"


def test_reset_starts_a_fresh_conversation():
    state, [_, _, decision] = run(Message("dark mode"), Unsatisfied(), Reset())
    assert decision.action == "reset"
    assert state == ConversationState()


def test_answers_to_unknown_or_answered_questions_do_nothing():
    state, [_, asked] = run(Message("dark mode"), Unsatisfied())
    option = asked.question.options[0]
    state, decisions = run(
        Answer("nope", option.id),
        Answer(asked.question.id, "nope"),
        Answer(asked.question.id, option.id),
        Answer(asked.question.id, option.id),
        state=state,
    )
    assert [decision.action for decision in decisions] == ["noop", "noop", "recommend", "noop"]


def test_unsatisfied_before_any_need_does_nothing():
    _, [decision] = run(Unsatisfied())
    assert decision.action == "noop"


def test_every_step_is_recorded():
    state, decisions = run(Message("dark mode"), Unsatisfied(), More())
    assert [(step.turn, step.event, step.action) for step in state.steps] == [
        (1, "Message", "recommend"),
        (2, "Unsatisfied", "ask"),
        (3, "More", "more"),
    ]
    assert state.steps[1].question == decisions[1].question.id
    assert [list(step.cards) for step in state.steps] == [slugs(decision) for decision in decisions]
    assert state.turn == 3


def test_search_is_told_what_to_exclude():
    calls = []
    state = ConversationState()
    search = make_search(DARK_MODES, calls)
    first = decide(state, Message("dark mode"), search=search)
    decide(state, More(), search=search)
    decide(state, Unsatisfied(), search=search)
    assert set(slugs(first)) <= calls[-1][2]


def test_a_typed_answer_is_merged_with_the_need_by_the_llm_rewriter_when_given():
    state, _ = run(Message("dark mode"), Unsatisfied())
    calls = []

    def rewriter(previous, message):
        calls.append((previous, message))
        return "dark mode at night"

    decision = decide(state, Message("for night time"), search=make_search(DARK_MODES), llm_rewrite=rewriter)
    assert calls == [("dark mode", "for night time")] and state.query == "dark mode at night"
    assert state.questions[0].answer_text == "for night time"
    assert decision.action == "recommend"


def test_the_add_ons_a_chosen_option_stood_for_come_first_even_when_the_new_search_misses_them():
    base = make_search(DARK_MODES)

    def search(query, filters, exclude, k):  # the wide pool holds Reddit add-ons; a page of results does not
        found = base(query, filters, exclude, k)
        return found if k == POOL_SIZE else [candidate for candidate in found if "reddit" not in candidate.slug]

    state = ConversationState()
    decide(state, Message("dark mode"), search=search)
    asked = decide(state, Unsatisfied(), search=search)
    option = next(option for option in asked.question.options if option.label == "Reddit")
    shown = decide(state, Answer(asked.question.id, option.id), search=search)
    expected = [slug for slug in option.slugs if slug not in state.shown[:-3]][:3]
    assert slugs(shown) == expected and set(expected) <= set(option.slugs)


@pytest.mark.parametrize(
    "rejection, language",
    [("nein, etwas anderes", "de"), ("non, autre chose", "fr"), ("no, otra cosa", "es"), ("nee, iets anders", "nl"),
     ("non è quello", "it"), ("não, outra coisa", "pt")],
)  # fmt: skip
def test_a_rejection_in_another_language_asks_a_follow_up_in_that_language(rejection, language):
    state, [first, decision] = run(Message("dark mode"), Message(rejection))
    assert first.cards and decision.action == "ask" and state.query == "dark mode"
    assert decision.question.text == TEXTS[decision.question.facet][language] and state.language == language


@pytest.mark.parametrize("more", ["mehr bitte", "d'autres", "más", "altri", "meer"])
def test_more_in_another_language_shows_the_next_cards(more):
    state, [first, decision] = run(Message("dark mode"), Message(more))
    assert decision.action == "more" and not set(slugs(decision)) & set(slugs(first))


@pytest.mark.parametrize("thanks", ["danke, das ist es", "merci", "gracias", "grazie", "obrigado", "bedankt"])
def test_thanks_in_another_language_closes(thanks):
    _, [_, decision] = run(Message("dark mode"), Message(thanks))
    assert decision.action == "close"


def test_constraints_said_in_words_become_filters():
    state, _ = run(Message("dark mode without giving access to all my sites"))
    assert state.filters().no_all_sites and state.query == "dark mode"
    state, _ = run(Message("ich suche einen kostenlosen dark mode ohne Zugriff auf alle Seiten"))
    assert state.filters().no_all_sites and state.filters().free_only and state.language == "de"


def test_what_a_long_conversation_remembers_is_bounded():
    from chatbot.dialogue.state import MAX_NEEDS, MAX_STEPS

    events = [Message(text=f"dark mode number {n}") for n in range(MAX_STEPS + 30)]
    state, _ = run(*events, Message(text="dark mode"), More())
    assert len(state.needs) == MAX_NEEDS and len(state.steps) == MAX_STEPS
    assert state.needs[-1] == "dark mode"


def test_only_the_latest_votes_are_kept():
    from chatbot.dialogue.state import MAX_VOTES

    votes = [CardFeedback(slug=f"addon-{n}", value="up") for n in range(MAX_VOTES + 50)]
    state, _ = run(*votes, CardFeedback(slug="addon-0", value="down"))
    assert len(state.feedback) == MAX_VOTES
    assert list(state.feedback)[-1] == "addon-0" and state.feedback["addon-0"] == "down"
    assert "addon-1" not in state.feedback
