"""Writes for conversations: start one on its first frame, record each step, export finished ones."""

from __future__ import annotations

import hashlib
import logging
import uuid

import httpx
from django.conf import settings
from django.utils import timezone

from chatbot.models import Conversation, Message
from chatbot.selectors import conversation_as_json
from marketplace.jobs import enqueue
from retrieval.services import evidence_record

logger = logging.getLogger(__name__)
EXPORT_TIMEOUT = 5.0


def client_key(address: str) -> str:
    """Who a visitor is, for counting their feedback once, without keeping their address."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()[:32] if address else ""


def conversation_start(*, session_id: uuid.UUID, origin: str = "", locale: str = "", address: str = "") -> Conversation:
    """The conversation of a session, stored on its first client frame (a bare connection stores nothing)."""
    defaults = {"origin": origin[:255], "locale": locale, "client": client_key(address)}
    return Conversation.objects.get_or_create(session_id=session_id, defaults=defaults)[0]


def message_record(
    *,
    conversation: Conversation,
    turn: int,
    role: str,
    kind: str,
    text: str = "",
    cards: list | None = None,
    question: dict | None = None,
    feedback: dict | None = None,
    generation: dict | None = None,
    first_card_ms: int | None = None,
    first_token_ms: int | None = None,
    total_ms: int | None = None,
) -> Message:
    message = Message(
        conversation=conversation,
        turn=turn,
        role=role,
        kind=kind,
        text=text,
        cards=cards or [],
        question=question,
        feedback=feedback,
        generation=generation or {},
        first_card_ms=first_card_ms,
        first_token_ms=first_token_ms,
        total_ms=total_ms,
    )
    message.full_clean()
    message.save()
    return message


def conversation_save_state(*, conversation: Conversation, state: dict, outcome: str | None = None) -> Conversation:
    conversation.state = state
    fields = ["state", "updated_at"]
    if outcome:
        conversation.outcome = outcome
        fields.append("outcome")
    conversation.save(update_fields=fields)
    return conversation


def conversation_tune(*, conversation: Conversation, params: dict) -> Conversation:
    """Store per-session generation overrides (already validated and clamped by the caller)."""
    conversation.generation_params = params
    conversation.save(update_fields=["generation_params", "updated_at"])
    return conversation


def conversation_export(*, conversation_id: int) -> bool:
    """POST a finished conversation to LOGGING_URL as JSON. Off without LOGGING_URL; never raises."""
    if not settings.LOGGING_URL:
        return False
    conversation = Conversation.objects.get(pk=conversation_id)
    try:
        response = httpx.post(
            settings.LOGGING_URL, json=conversation_as_json(conversation=conversation), timeout=EXPORT_TIMEOUT
        )
        response.raise_for_status()
    except httpx.HTTPError as exc:
        logger.warning("conversation %s not exported to LOGGING_URL: %s", conversation.session_id, exc)
        return False
    Conversation.objects.filter(pk=conversation_id).update(exported_at=timezone.now())
    return True


def conversation_export_later(*, conversation_id: int) -> None:
    if settings.LOGGING_URL:
        enqueue("chatbot.tasks.conversation_export", conversation_id)


def conversation_evidence_record(*, conversation: Conversation, picks: list[tuple[str, str, str]]) -> int:
    """Teach the ranking what this visitor did: (need, add-on slug, signal) each, counted once per session
    and add-on and signal; returns how many were stored (retrieval.feedback)."""
    stored = 0
    for need, slug, signal in picks:
        evidence = evidence_record(
            need=need, slug=slug, signal=signal, session=str(conversation.session_id), client=conversation.client
        )
        stored += evidence is not None
    return stored
