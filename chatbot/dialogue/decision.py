"""What the policy tells its caller to do with one event, and which reply the language model writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from chatbot.dialogue.candidates import Candidate
from chatbot.dialogue.state import Constraint, Question


class Action(StrEnum):
    RECOMMEND = "recommend"  # fresh cards for the need
    ASK = "ask"  # a follow-up question instead of cards
    MORE = "more"  # the next cards for the same need
    CLOSE = "close"  # the visitor is satisfied
    RESET = "reset"  # start over
    NOOP = "noop"  # nothing to show (a vote, an answer to nothing)


class ReplyKind(StrEnum):
    """Which words go around the cards; each has its prompt and its template."""

    RECOMMEND = "recommend"
    MORE = "more"
    QUESTION = "question"  # a lead-in to the question the chat sends itself
    THANKS = "thanks"
    EMPTY = "empty"  # nothing matched
    NONE = ""  # nothing needs saying


@dataclass
class Decision:
    """What the caller should do: show cards, ask a question, close, or nothing."""

    action: Action
    reply_kind: ReplyKind
    query: str = ""
    cards: list[Candidate] = field(default_factory=list)
    question: Question | None = None
    relaxed: Constraint | None = None  # dropped because nothing matched with it; the reply should say so
    has_more: bool = False
