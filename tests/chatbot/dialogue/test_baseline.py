from __future__ import annotations

import json

from chatbot.dialogue import baseline
from chatbot.dialogue.events import Answer, CardFeedback, Message, More, Satisfied, Unsatisfied
from chatbot.dialogue.state import ConversationState
from tests.chatbot.dialogue.fakes import make_search
from tests.chatbot.dialogue.test_policy import DARK_MODES, slugs


def run(*events):
    state, search = ConversationState(), make_search(DARK_MODES)
    decisions = []
    for event in events:
        decisions.append(baseline.decide(state, event, search=search))
        assert ConversationState.from_dict(json.loads(json.dumps(state.to_dict()))) == state
    return state, decisions


def test_every_message_is_appended_to_one_query():
    state, [_, decision] = run(Message("dark mode"), Message("I need to group my tabs"))
    assert state.query == decision.query == "dark mode I need to group my tabs"


def test_a_miss_gets_an_open_question_without_options():
    state, [_, decision] = run(Message("dark mode"), Unsatisfied())
    assert decision.action == "ask" and decision.reply_kind == "question"
    assert decision.question.text == baseline.OPEN_QUESTION and decision.question.options == ()
    _, [_, down] = run(Message("dark mode"), CardFeedback("youtube-dark", "down"))
    assert down.question.text == baseline.OPEN_QUESTION


def test_shown_add_ons_are_excluded():
    state, decisions = run(Message("dark mode"), Unsatisfied(), Message("for reddit"), More())
    shown = [slug for decision in decisions for slug in slugs(decision)]
    assert shown and len(shown) == len(set(shown))


def test_answers_do_nothing_and_satisfied_closes():
    _, [_, asked, answered, closed] = run(Message("dark mode"), Unsatisfied(), Answer("q1", "any"), Satisfied())
    assert asked.question.id == "q1"
    assert answered.action == "noop"
    assert closed.action == "close" and closed.reply_kind == "thanks"
