"""Reads for the chat: a session's conversation, its replayable history, its JSON export, cards for slugs."""

from __future__ import annotations

import uuid

from chatbot.models import Conversation
from marketplace.models import Addon
from retrieval.cards import addon_card


def conversation_find(*, session_id: str) -> Conversation | None:
    """The stored conversation of a session id from a client, if it is well-formed and known."""
    try:
        known = uuid.UUID(session_id)
    except ValueError:
        return None
    return Conversation.objects.filter(session_id=known).first()


def conversation_history(*, conversation: Conversation, last: int | None = None) -> list[dict]:
    """What the widget needs to redraw a conversation after a reload, oldest first (the `last` messages)."""
    messages = conversation.messages.all()
    if last is not None:
        messages = messages.order_by("-created_at", "-pk")[:last][::-1]
    history = []
    for message in messages:
        item = {"turn": message.turn, "role": message.role, "kind": message.kind, "text": message.text}
        if message.cards:
            item["cards"] = message.cards
        if message.question:
            item["question"] = message.question
        if message.feedback:
            item["feedback"] = message.feedback
        history.append(item)
    return history


def conversation_as_json(*, conversation: Conversation) -> dict:
    return {
        "session_id": str(conversation.session_id),
        "origin": conversation.origin,
        "outcome": conversation.outcome,
        "created_at": conversation.created_at.isoformat(),
        "updated_at": conversation.updated_at.isoformat(),
        "messages": [
            {**item, "created_at": message.created_at.isoformat()}
            for item, message in zip(
                conversation_history(conversation=conversation), conversation.messages.all(), strict=True
            )
        ],
    }


def cards_for(*, slugs: list[str], query: str, language: str = "en") -> list[dict]:
    """Cards for active add-ons, in the order given; anything gone from the catalogue is left out."""
    addons = {a.slug: a for a in Addon.objects.filter(slug__in=slugs, is_active=True).prefetch_related("categories")}
    return [addon_card(addons[slug], query=query, language=language) for slug in slugs if slug in addons]
