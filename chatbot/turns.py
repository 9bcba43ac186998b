"""One chat turn: the policy decides, cards go out first, then the grounded reply streams, then the
question (if any), then `done`; every step is stored. The consumer only parses and calls turn_handle."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Awaitable, Callable
from contextlib import aclosing

from django.conf import settings
from django.db import connections, transaction
from django.utils.module_loading import import_string

from chatbot import protocol
from chatbot.dialogue.decision import Action, Decision
from chatbot.dialogue.events import Answer, CardFeedback, Event, Message, More, Reset, Satisfied, Unsatisfied
from chatbot.dialogue.state import ConversationState
from chatbot.lanes import turn_lane
from chatbot.llm.base import CardFact, GenerationParams, ReplyRequest
from chatbot.llm.rewriter import query_rewriter
from chatbot.llm.runner import backend_warm, stream_reply
from chatbot.llm.template import LANGUAGES as REPLY_LANGUAGES
from chatbot.models import Conversation
from chatbot.models import Message as StoredMessage
from chatbot.search import search_candidates
from chatbot.selectors import cards_for
from chatbot.services import (
    conversation_evidence_record,
    conversation_export_later,
    conversation_save_state,
    conversation_tune,
    message_record,
)
from marketplace import metrics
from retrieval.lexical import lexical_index
from retrieval.query import Filters

logger = logging.getLogger(__name__)
Send = Callable[[dict], Awaitable[None]]
VISITOR_KINDS = {
    Message: StoredMessage.Kind.MESSAGE,
    Answer: StoredMessage.Kind.ANSWER,
    Satisfied: StoredMessage.Kind.FEEDBACK,
    Unsatisfied: StoredMessage.Kind.FEEDBACK,
    CardFeedback: StoredMessage.Kind.FEEDBACK,
    More: StoredMessage.Kind.MORE,
    Reset: StoredMessage.Kind.RESET,
}


def _visitor_record(event: Event) -> dict:
    if isinstance(event, Message):
        return {"text": event.text}
    if isinstance(event, Answer):
        return {"text": event.option_id, "question": {"id": event.question_id, "option": event.option_id}}
    if isinstance(event, CardFeedback):
        return {"feedback": {"slug": event.slug, "value": event.value}}
    if isinstance(event, (Satisfied, Unsatisfied)):
        return {"feedback": {"value": "satisfied" if isinstance(event, Satisfied) else "unsatisfied"}}
    return {}


class TurnConflict(Exception):
    """Another connection (a second tab) stored a turn of this conversation while this one was running."""


def _decide(conversation: Conversation, event: Event) -> tuple[ConversationState, Decision, list[dict]]:
    conversation.refresh_from_db(fields=["state", "outcome", "generation_params"])  # another tab may have moved on
    state = ConversationState.from_dict(conversation.state)
    state.language = state.language or conversation.locale  # the widget's, until the visitor's words tell
    decide = import_string(settings.CHAT_POLICY)
    decision = decide(
        state,
        event,
        search=search_candidates,
        cards_per_turn=settings.CHAT_CARDS_PER_TURN,
        llm_rewrite=query_rewriter(),
    )
    cards = cards_for(
        slugs=[candidate.slug for candidate in decision.cards], query=decision.query, language=reply_language(state)
    )
    return state, decision, cards


def reply_language(state: ConversationState) -> str:
    """The visitor's language when replies are written in it, else English."""
    return state.language if state.language in REPLY_LANGUAGES else "en"


def reply_request(decision: Decision, cards: list[dict], state: ConversationState) -> ReplyRequest:
    """What the reply to a decision is written from: the cards as sent, the need, the visitor's words."""
    return ReplyRequest(
        kind=decision.reply_kind,
        need=decision.query,
        cards=tuple(CardFact.from_card(card) for card in cards),
        question=decision.question.text if decision.question else "",
        said=state.said,
        language=reply_language(state),
    )


def _catalogue_names() -> list[str]:
    return [row["name"] for row in lexical_index().rows]


def _shown_for(state: ConversationState, slug: str) -> str:
    """The need (the query searched) for which the card was last shown; empty if it never was."""
    return next((step.query for step in reversed(state.steps) if slug in step.cards), "")


def _picks(event: Event | protocol.Click, state: ConversationState) -> list[tuple[str, str, str]]:
    """What this event teaches the ranking: (need, add-on, signal). "That's it!" counts for the cards of the
    last set the visitor voted up, or, when they voted none up, its first card not voted down."""
    if isinstance(event, (CardFeedback, protocol.Click)):
        need = _shown_for(state, event.slug)
        signal = event.value if isinstance(event, CardFeedback) else "click"
        return [(need, event.slug, signal)] if need else []
    if isinstance(event, Satisfied):
        last = next((step for step in reversed(state.steps) if step.cards), None)
        if last is None:
            return []
        liked = [slug for slug in last.cards if state.feedback.get(slug) == "up"]
        liked = liked or [slug for slug in last.cards if state.feedback.get(slug) != "down"][:1]
        return [(last.query, slug, "satisfied") for slug in liked]
    return []


def _outcome(state: ConversationState) -> str:
    """How the conversation stands after this turn: the visitor's last word on the cards."""
    if state.satisfied:
        return Conversation.Outcome.SATISFIED
    if state.unsatisfied:
        return Conversation.Outcome.UNSATISFIED
    return Conversation.Outcome.OPEN


def _finish(
    conversation: Conversation,
    event: Event,
    state: ConversationState,
    decision: Decision,
    cards: list[dict],
    text: str,
    generation: dict,
    timings: dict,
) -> None:
    """Store the turn, all of it or nothing: a turn that fails before this leaves the conversation as it was."""
    question = decision.question.payload() if decision.question else None
    with transaction.atomic():
        stored = Conversation.objects.select_for_update().only("state").get(pk=conversation.pk)
        if stored.state.get("turn", 0) != conversation.state.get("turn", 0):
            raise TurnConflict(f"conversation {conversation.session_id} moved on while this turn ran")
        message_record(
            conversation=conversation,
            turn=state.turn,
            role=StoredMessage.Role.VISITOR,
            kind=VISITOR_KINDS[type(event)],
            **_visitor_record(event),
        )
        message_record(
            conversation=conversation,
            turn=state.turn,
            role=StoredMessage.Role.ASSISTANT,
            kind=StoredMessage.Kind.REPLY,
            text=text,
            cards=cards,
            question=question,
            generation=generation,
            **timings,
        )
        conversation_save_state(conversation=conversation, state=state.to_dict(), outcome=_outcome(state))
    conversation_evidence_record(conversation=conversation, picks=_picks(event, state))
    if decision.action == Action.CLOSE:
        conversation_export_later(conversation_id=conversation.pk)


async def _reply(
    request: ReplyRequest, params: GenerationParams, turn: int, send: Send
) -> tuple[str, dict, int | None]:
    """Stream the grounded reply as token frames; returns the full text, how it was made, first-token ms."""
    names = await turn_lane().run(_catalogue_names, admitted=True)
    async with aclosing(stream_reply(request, params, catalogue_names=names)) as pieces:
        async for piece in pieces:
            if piece.final:
                generation = {
                    "backend": piece.backend,
                    "adapter": piece.adapter,
                    "corrected": piece.corrected,
                    "fell_back": piece.fell_back,
                    "params": params.as_dict(),
                }
                return piece.full_text, generation, piece.first_token_ms
            await send(protocol.token_frame(turn, piece.text))
    raise RuntimeError("stream_reply ended without its final event")


async def turn_handle(*, conversation: Conversation, event: Event | protocol.Tune | protocol.Click, send: Send) -> None:
    """Handle one parsed client frame for this conversation, sending server frames as they are ready."""
    started = time.perf_counter()
    if isinstance(event, protocol.Click):
        state = ConversationState.from_dict(conversation.state)
        picks = _picks(event, state)
        await turn_lane().run(lambda: conversation_evidence_record(conversation=conversation, picks=picks))
        await send(protocol.done_frame(0))
        return
    if isinstance(event, protocol.Tune):
        try:
            GenerationParams.from_settings().tuned(**event.params)
        except (TypeError, ValueError) as exc:
            raise protocol.ProtocolError(protocol.ErrorCode.BAD_FRAME, f"Bad generation settings: {exc}") from exc
        await turn_lane().run(lambda: conversation_tune(conversation=conversation, params=event.params))
        await send(protocol.done_frame(0))
        return
    state, decision, cards = await turn_lane().run(_decide, conversation, event)  # LaneFull: nothing changed yet
    turn = state.turn
    timings: dict[str, int | None] = {"first_card_ms": None, "first_token_ms": None}
    if cards:
        await send(protocol.cards_frame(turn, cards))
        first_card = time.perf_counter() - started
        timings["first_card_ms"] = int(first_card * 1000)
        metrics.FIRST_CARD.observe(first_card)
    text, generation = "", dict[str, object]()
    if decision.reply_kind:
        request = reply_request(decision, cards, state)
        params = GenerationParams.from_settings().tuned(**conversation.generation_params)
        reply_started = time.perf_counter()
        text, generation, first_token_ms = await _reply(request, params, turn, send)
        if first_token_ms is not None:  # measured by the runner from its own start: count the turn's too
            first_token = first_token_ms / 1000 + (reply_started - started)
            timings["first_token_ms"] = int(first_token * 1000)
            metrics.FIRST_TOKEN.observe(first_token)
        if generation["fell_back"]:
            metrics.TEMPLATE_FALLBACKS.inc()
        await send(protocol.reply_frame(turn, text))
    if decision.question is not None:
        await send(protocol.question_frame(turn, decision.question.payload()))
    timings["total_ms"] = int((time.perf_counter() - started) * 1000)
    await turn_lane().run(
        _finish, conversation, event, state, decision, cards, text, generation, timings, admitted=True
    )
    await send(protocol.done_frame(turn))  # last: once a client sees `done`, the turn is stored


def turn_warm() -> None:
    """Load what a first turn needs (lexical index, embedding model, index, reply model), so that the
    first visitor of a new process does not wait for it."""
    search_candidates("warm up", Filters(), frozenset(), 1)
    backend_warm()


_warming = threading.Lock()
_warmed = False


def turn_warm_later() -> None:
    """turn_warm() in a background thread, once per process: called when a chat connects."""
    global _warmed
    with _warming:
        if _warmed:
            return
        _warmed = True

    def warm() -> None:
        try:
            turn_warm()
        except Exception:  # noqa: BLE001 - the turn loads what failed itself, or falls back; the log says why
            logger.exception("could not warm up the chat")
        finally:
            connections.close_all()  # this thread's own connections

    threading.Thread(target=warm, name="chat-warm", daemon=True).start()
