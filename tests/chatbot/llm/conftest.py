"""Cards, a catalogue and scripted backends: the LLM layer is tested without a model unless marked slow."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from chatbot.llm.base import CardFact, GenerationParams, LLMBackend, ReplyRequest

CATALOGUE = [
    "uBlock Origin",
    "Dark Reader",
    "AdBlock Plus",
    "Tab Session Manager",
    "Honey",
    "Zoom",
    "Clear Cache",
    "Ghostery Tracker & Ad Blocker",
]


class ScriptedBackend(LLMBackend):
    """Yields the given pieces, optionally slowly, optionally raising at the end."""

    name = "scripted"

    def __init__(self, pieces: list[str], *, delay: float = 0.0, error: Exception | None = None) -> None:
        self.pieces = pieces
        self.delay = delay
        self.error = error

    def stream(self, request: ReplyRequest, params: GenerationParams) -> Iterator[str]:
        for piece in self.pieces:
            time.sleep(self.delay)
            yield piece
        if self.error is not None:
            raise self.error


@pytest.fixture
def cards() -> tuple[CardFact, ...]:
    return (
        CardFact(
            slug="ublock-origin",
            name="uBlock Origin",
            summary="An efficient wide-spectrum content blocker.",
            categories=("Privacy & Security",),
            rating=4.8,
            users=9_000_000,
            reason='Matched tags: "ads"',
        ),
        CardFact(
            slug="darkreader",
            name="Dark Reader",
            summary="Dark mode for every website.",
            categories=("Appearance",),
            rating=4.5,
            users=1_200_000,
            reason="Close in meaning to your request",
        ),
        CardFact(
            slug="youtube-nonstop",
            name="YouTube NonStop",
            summary="Tired of the 'Video paused' prompt?",
            categories=("Photos, Music & Videos",),
            rating=None,
            users=None,
            reason="",
        ),
    )


@pytest.fixture
def request_for(cards):
    def build(kind: str = "recommend", **changes) -> ReplyRequest:
        fields = {"need": "block ads on youtube", "cards": () if kind == "empty" else cards}
        return ReplyRequest(kind=kind, **{**fields, **changes})

    return build


@pytest.fixture
def params() -> GenerationParams:
    return GenerationParams(temperature=0.0, top_k=40, top_p=0.9, repetition_penalty=1.1, max_new_tokens=32)
