"""Conversations and their messages: every step of a chat, for admin, training data and analytics."""

from __future__ import annotations

import uuid

from django.db import models


class Conversation(models.Model):
    class Outcome(models.TextChoices):
        OPEN = "open", "Open"
        SATISFIED = "satisfied", "Satisfied"
        UNSATISFIED = "unsatisfied", "Unsatisfied"

    session_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    origin = models.CharField(max_length=255, blank=True, help_text="The site the widget was embedded on.")
    locale = models.CharField(max_length=8, blank=True, help_text="The widget's interface language.")
    client = models.CharField(
        max_length=64, blank=True, help_text="A salted hash of the visitor's address: whose feedback this is."
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.OPEN)
    state = models.JSONField(default=dict, blank=True, help_text="Dialogue state between frames.")
    generation_params = models.JSONField(default=dict, blank=True, help_text="Per-session overrides.")
    exported_at = models.DateTimeField(null=True, blank=True, help_text="When it was sent to LOGGING_URL.")

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["outcome", "-updated_at"], name="conversation_outcome")]

    def __str__(self) -> str:
        return f"Conversation {self.session_id}"


class Message(models.Model):
    class Role(models.TextChoices):
        VISITOR = "visitor", "Visitor"
        ASSISTANT = "assistant", "Assistant"

    class Kind(models.TextChoices):
        MESSAGE = "message", "Message"
        ANSWER = "answer", "Answer to a question"
        FEEDBACK = "feedback", "Feedback"
        MORE = "more", "Show more"
        RESET = "reset", "Reset"
        REPLY = "reply", "Reply"

    conversation = models.ForeignKey(Conversation, related_name="messages", on_delete=models.CASCADE)
    turn = models.PositiveIntegerField(default=0)
    role = models.CharField(max_length=16, choices=Role.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    text = models.TextField(blank=True)
    cards = models.JSONField(default=list, blank=True, help_text="Cards shown, as sent.")
    question = models.JSONField(null=True, blank=True, help_text="The follow-up question asked, with options.")
    feedback = models.JSONField(null=True, blank=True, help_text="Satisfied/unsatisfied, or a card's up/down.")
    generation = models.JSONField(default=dict, blank=True, help_text="Backend, parameters, guard corrections.")
    first_card_ms = models.PositiveIntegerField(null=True, blank=True)
    first_token_ms = models.PositiveIntegerField(null=True, blank=True)
    total_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "turn"], name="message_conversation_turn")]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.kind} (turn {self.turn})"
