"""Conversations in admin: what visitors asked, what they were shown, how it went, read as a transcript."""

from __future__ import annotations

from django.contrib import admin

from chatbot.models import Conversation
from chatbot.transcript import transcript_html
from marketplace.admin_history import HistoryAdmin


@admin.register(Conversation)
class ConversationAdmin(HistoryAdmin):
    list_display = ["session_id", "outcome", "origin", "message_count", "created_at", "updated_at"]
    list_filter = ["outcome", "created_at"]
    search_fields = ["session_id", "messages__text", "origin"]
    date_hierarchy = "created_at"
    fieldsets = [
        (None, {"fields": ["session_id", "outcome", "origin", "locale", "created_at", "updated_at"]}),
        ("Transcript", {"fields": ["transcript"]}),
        ("Internals", {"fields": ["state", "generation_params", "exported_at"], "classes": ["collapse"]}),
    ]
    readonly_fields = [
        "session_id",
        "outcome",
        "origin",
        "locale",
        "created_at",
        "updated_at",
        "transcript",
        "state",
        "generation_params",
        "exported_at",
    ]

    @admin.display(description="Transcript")
    def transcript(self, conversation: Conversation) -> str:
        return transcript_html(conversation)

    @admin.display(description="Messages")
    def message_count(self, conversation: Conversation) -> int:
        return conversation.messages.count()
