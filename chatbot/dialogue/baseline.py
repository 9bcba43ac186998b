"""The naive policy the benchmark measures decide() against.

Every message is appended to one growing query and a miss gets an open "tell me more" with no quick
replies; like the real policy, it never shows the same add-on twice.
"""

from __future__ import annotations

from chatbot.dialogue.candidates import Search
from chatbot.dialogue.decision import Action, Decision, ReplyKind
from chatbot.dialogue.events import CardFeedback, Event, Message, More, Reset, Satisfied, Unsatisfied
from chatbot.dialogue.policy import Turn, noop, recorded, reset
from chatbot.dialogue.rewrite import LLMRewrite
from chatbot.dialogue.state import ConversationState, Question

OPEN_QUESTION = "Tell me more about what you need"


def decide(
    state: ConversationState,
    event: Event,
    *,
    search: Search,
    cards_per_turn: int = 3,
    llm_rewrite: LLMRewrite | None = None,
) -> Decision:
    """Same signature as the policy's decide(); llm_rewrite is accepted and ignored."""
    if isinstance(event, Reset):
        return reset(state)
    state.turn += 1
    turn = Turn(state, search, cards_per_turn)
    match event:
        case Message(text=text):
            state.remember_need(text)
            state.query = " ".join(state.needs)
            state.open_question = ""
            decision = turn.recommend()
        case Unsatisfied() | CardFeedback(value="down"):
            if isinstance(event, CardFeedback):
                state.vote(event.slug, event.value)
            state.unsatisfied, state.satisfied = True, False
            question = Question(f"q{len(state.questions) + 1}", "open", OPEN_QUESTION)
            state.questions.append(question)
            state.open_question = question.id
            decision = Decision(Action.ASK, ReplyKind.QUESTION, state.query, question=question)
        case CardFeedback(slug=slug, value=value):
            state.vote(slug, value)
            decision = noop()
        case More():
            decision = turn.more()
        case Satisfied():
            decision = turn.close()
        case _:  # Answer: an open question has no options to choose
            decision = noop()
    return recorded(state, event, decision)
