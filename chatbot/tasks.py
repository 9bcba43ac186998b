"""Celery edges for the chat: take identifiers, call the service of the same name."""

from __future__ import annotations

from celery import shared_task

from chatbot import services


@shared_task
def conversation_export(conversation_id: int) -> bool:
    return services.conversation_export(conversation_id=conversation_id)
