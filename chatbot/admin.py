"""Conversations in admin: what visitors asked, what they were shown, how it went, read as a transcript."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone

from chatbot import analytics
from chatbot.models import Conversation
from chatbot.transcript import transcript_html
from marketplace.admin_history import HistoryAdmin
from marketplace.charts import bars_svg

PERIODS = {"7": "Last 7 days", "30": "Last 30 days", "90": "Last 90 days", "365": "Last year"}
DEFAULT_PERIOD = "30"
WEEKS_CHARTED = 12


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

    def get_urls(self) -> list[URLPattern]:
        analytics_view = self.admin_site.admin_view(self.analytics_view)
        return [path("analytics/", analytics_view, name="chatbot_conversation_analytics"), *super().get_urls()]

    def analytics_view(self, request: HttpRequest) -> HttpResponse:
        """Satisfaction, card sets until success, top needs with what satisfied them, and unmet needs."""
        period = request.GET.get("days", DEFAULT_PERIOD)
        period = period if period in PERIODS else DEFAULT_PERIOD
        since = timezone.now() - timedelta(days=int(period))
        weekly = analytics.weekly_satisfaction(WEEKS_CHARTED)
        card_sets = analytics.card_sets_until_success(since)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Conversation analytics",
            "periods": PERIODS,
            "period": period,
            "satisfaction": analytics.satisfaction(since),
            "weekly_chart": bars_svg(
                [
                    (
                        week.strftime("%d %b"),
                        (counts.rate or 0) * 100,
                        f"{counts.rate:.0%}" if counts.rate is not None else "",
                    )
                    for week, counts in weekly
                ],
                label="Share of decided conversations that ended satisfied, by week",
                top=100,
            ),
            "card_sets_chart": bars_svg(
                [(sets, count, str(count)) for sets, count in card_sets.items()],
                label="Satisfied conversations by card sets shown until success",
            ),
            "card_sets_total": sum(card_sets.values()),
            "top_needs": analytics.top_needs(since),
            "unmet_needs": analytics.unmet_needs(since),
        }
        return TemplateResponse(request, "admin/chatbot/conversation/analytics.html", context)
