"""What every reply backend receives and promises.

The cards are chosen by the catalogue search before any model runs; a backend only writes the few
sentences around them, from the facts in a ReplyRequest.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Generator
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from django.conf import settings

from chatbot.dialogue.decision import ReplyKind

# Hard bounds for per-session tuning; max_new_tokens is capped so a reply stays a few sentences on CPU.
PARAM_BOUNDS: dict[str, tuple[float, float]] = {
    "temperature": (0.0, 1.5),
    "top_k": (0, 200),
    "top_p": (0.05, 1.0),
    "repetition_penalty": (1.0, 2.0),
    "max_new_tokens": (16, 150),
}
INTEGER_PARAMS = frozenset({"top_k", "max_new_tokens"})


class LLMUnavailable(Exception):
    """The model cannot answer right now (endpoint down, HTTP error, malformed stream)."""


@dataclass(frozen=True)
class CardFact:
    """One card's catalogue facts: all a backend may say about an add-on."""

    slug: str
    name: str
    summary: str
    categories: tuple[str, ...]
    rating: float | None
    users: int | None
    reason: str
    free: bool | None = None  # None: not known
    sites: tuple[str, ...] = ()  # the sites it is made for, as people write them

    @classmethod
    def from_card(cls, card: dict) -> CardFact:
        """The facts of a card as the chat sends and stores it (retrieval.cards.addon_card); stored cards
        are read back for training, so a missing field reads as empty."""
        return cls(
            slug=card.get("slug", ""),
            name=card.get("name", ""),
            summary=card.get("summary", ""),
            categories=tuple(category.get("name", "") for category in card.get("categories", [])),
            rating=card.get("rating"),
            users=card.get("users"),
            reason=card.get("reason", ""),
            free=card.get("free"),
            sites=tuple(card.get("sites", ())),
        )


@dataclass(frozen=True)
class ReplyRequest:
    kind: ReplyKind | Literal["rewrite"]  # "rewrite": merge a follow-up with the query (chatbot.llm.rewriter)
    need: str  # the visitor's need as a standalone query
    cards: tuple[CardFact, ...]
    question: str = ""  # for kind "question": the chat sends this text itself, the reply only leads in
    said: str = ""  # the visitor's own words for this need, as they wrote them
    language: str = "en"  # the language the reply is written in
    message: str = ""  # for kind "rewrite": the visitor's latest message, to merge with `need`
    history: tuple[tuple[str, str], ...] = ()  # recent (role, text) turns


def _bounded(name: str, value: object) -> float | int:
    if name not in PARAM_BOUNDS:
        raise ValueError(f"unknown generation parameter {name!r}; expected one of {', '.join(PARAM_BOUNDS)}")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"generation parameter {name!r} must be a finite number, not {value!r}")
    low, high = PARAM_BOUNDS[name]
    clamped = min(max(value, low), high)
    return round(clamped) if name in INTEGER_PARAMS else float(clamped)


@dataclass(frozen=True)
class GenerationParams:
    temperature: float
    top_k: int
    top_p: float
    repetition_penalty: float
    max_new_tokens: int

    @classmethod
    def from_settings(cls) -> GenerationParams:
        """The deployment's defaults, held to the same bounds as per-session tuning."""
        values = {
            "temperature": settings.LLM_TEMPERATURE,
            "top_k": settings.LLM_TOP_K,
            "top_p": settings.LLM_TOP_P,
            "repetition_penalty": settings.LLM_REPETITION_PENALTY,
            "max_new_tokens": settings.LLM_MAX_NEW_TOKENS,
        }
        bounded: dict[str, Any] = {name: _bounded(name, value) for name, value in values.items()}
        return cls(**bounded)

    def tuned(self, **overrides: object) -> GenerationParams:
        """A copy with the visitor's overrides clamped to PARAM_BOUNDS; ValueError for unknown keys or non-numbers."""
        bounded: dict[str, Any] = {name: _bounded(name, value) for name, value in overrides.items()}
        return replace(self, **bounded)

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


class LLMBackend(ABC):
    """Writes the reply text for a request, as a synchronous stream of pieces (run off the event loop)."""

    name: str
    adapter: str = ""  # the fine-tuned LoRA adapter it serves, recorded with every reply it writes

    def grounds(self, request: ReplyRequest) -> bool:
        """Whether this backend's decoding keeps every word of this reply to the cards (chatbot.llm.constrained),
        so its pieces may reach the visitor as they are generated; otherwise each sentence waits for the guard."""
        return False

    def health(self) -> str:
        """What /readyz reports; raises LLMUnavailable when replies cannot be written (a server is down)."""
        return "ready"

    @abstractmethod
    def stream(self, request: ReplyRequest, params: GenerationParams) -> Generator[str, None, None]: ...
