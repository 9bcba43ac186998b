"""A conversation's admin page reads as a transcript: messages, cards with the visitor's votes, the question
asked and its options, the outcome; no JSON dump in sight."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from chatbot.models import Conversation, Message

CARD = {"slug": "night-shade", "name": "Night Shade", "summary": "Dark mode for every website."}


@pytest.fixture
def staff(client, db):
    client.force_login(User.objects.create_superuser("admin", "admin@example.org", "pw"))
    return client


def say(conversation, turn, role, kind, **fields):
    return Message.objects.create(conversation=conversation, turn=turn, role=role, kind=kind, **fields)


def test_a_conversation_page_reads_as_a_transcript(staff):
    conversation = Conversation.objects.create(outcome=Conversation.Outcome.SATISFIED)
    say(conversation, 1, "visitor", "message", text="pages are too bright at night")
    say(conversation, 1, "assistant", "reply", text="Night Shade offers dark mode.", cards=[CARD], first_card_ms=12)
    question = {"id": "q1", "text": "Which sites?", "options": [{"id": "all", "label": "Every site"}]}
    say(conversation, 2, "visitor", "feedback", feedback={"value": "unsatisfied"})
    say(conversation, 2, "assistant", "reply", text="Tell me more.", question=question)
    say(conversation, 3, "visitor", "feedback", feedback={"slug": "night-shade", "value": "up"})
    say(conversation, 3, "assistant", "reply")
    say(conversation, 4, "visitor", "feedback", feedback={"value": "satisfied"})
    page = staff.get(reverse("admin:chatbot_conversation_change", args=[conversation.pk])).content.decode()
    assert "<th>Visitor</th><td>pages are too bright at night</td>" in page
    assert "Night Shade offers dark mode." in page and "first card 12 ms" in page
    assert "<li>Night Shade <small>(night-shade)</small> 👍 voted up</li>" in page  # the card, with its vote
    assert "<strong>Asked:</strong> Which sites? <small>(Every site)</small>" in page
    assert "<em>“Not what I need”</em>" in page and "<em>“That&#x27;s it!”</em>" in page
    assert "<strong>Outcome:</strong> Satisfied" in page


def test_a_connection_that_said_nothing_says_so(staff):
    conversation = Conversation.objects.create()
    page = staff.get(reverse("admin:chatbot_conversation_change", args=[conversation.pk])).content.decode()
    assert "the visitor connected and left" in page
