"""What a visitor can do in the chat, as the policy receives it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Message:
    text: str


@dataclass(frozen=True)
class Satisfied:
    pass


@dataclass(frozen=True)
class Unsatisfied:
    pass


@dataclass(frozen=True)
class CardFeedback:
    slug: str
    value: Literal["up", "down"]


@dataclass(frozen=True)
class Answer:
    question_id: str
    option_id: str


@dataclass(frozen=True)
class More:
    pass


@dataclass(frozen=True)
class Reset:
    pass


Event = Message | Satisfied | Unsatisfied | CardFeedback | Answer | More | Reset
