"""Conversations in admin: what visitors asked, what they were shown, how it went."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from chatbot.models import Conversation, Message
from marketplace.admin_history import HistoryAdmin


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = (
        "turn",
        "role",
        "kind",
        "text",
        "cards_shown",
        "question",
        "feedback",
        "first_card_ms",
        "first_token_ms",
        "total_ms",
        "generation",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description="Cards")
    def cards_shown(self, message: Message) -> str:
        return ", ".join(card.get("name", card.get("slug", "?")) for card in message.cards) or "—"

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(HistoryAdmin):
    list_display = ["session_id", "outcome", "origin", "message_count", "created_at", "updated_at"]
    list_filter = ["outcome", "created_at"]
    search_fields = ["session_id", "messages__text", "origin"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "session_id",
        "origin",
        "outcome",
        "state",
        "generation_params",
        "created_at",
        "updated_at",
        "exported_at",
    ]
    inlines = [MessageInline]

    @admin.display(description="Messages")
    def message_count(self, conversation: Conversation) -> int:
        return conversation.messages.count()
