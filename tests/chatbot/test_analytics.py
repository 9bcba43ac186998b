"""The analytics page staff read: satisfaction, card sets until success, top needs with the add-ons that satisfied
them, and unmet needs grouped by meaning."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from chatbot import analytics
from chatbot.models import Conversation, Message
from marketplace.models import Addon
from retrieval.services import evidence_record

pytestmark = pytest.mark.django_db
LONG_AGO = timezone.now() - timedelta(days=365)


@pytest.fixture
def staff(client):
    client.force_login(User.objects.create_superuser("admin", "admin@example.org", "pw"))
    return client


def conversation(
    outcome: str, *, card_sets: int = 1, need: str = "pages too bright at night", **fields
) -> Conversation:
    """A conversation that showed `card_sets` sets of cards for `need` and ended with `outcome`."""
    steps = [
        {"turn": turn, "event": "Message", "action": "recommend", "cards": ["a", "b"]} for turn in range(card_sets)
    ]
    made = Conversation.objects.create(outcome=outcome, state={"needs": [need], "said": need, "steps": steps}, **fields)
    for turn in range(card_sets):
        Message.objects.create(conversation=made, turn=turn, role="assistant", kind="reply", first_card_ms=9)
    return made


def test_satisfaction_counts_decided_conversations_that_showed_cards():
    for _ in range(3):
        conversation(Conversation.Outcome.SATISFIED)
    conversation(Conversation.Outcome.UNSATISFIED)
    conversation(Conversation.Outcome.OPEN)
    Conversation.objects.create(outcome=Conversation.Outcome.UNSATISFIED)  # never showed a card: not counted
    result = analytics.satisfaction(LONG_AGO)
    assert (result.satisfied, result.unsatisfied, result.undecided) == (3, 1, 1)
    assert result.rate == 0.75
    assert analytics.satisfaction(timezone.now() + timedelta(days=1)).rate is None  # nothing decided: no rate


def test_weekly_satisfaction_has_every_week_oldest_first():
    conversation(Conversation.Outcome.SATISFIED)
    conversation(Conversation.Outcome.UNSATISFIED)
    weeks = analytics.weekly_satisfaction(4)
    assert len(weeks) == 4 and [week for week, _ in weeks] == sorted(week for week, _ in weeks)
    assert [counts.decided for _, counts in weeks] == [0, 0, 0, 2]
    assert weeks[-1][1].rate == 0.5


def test_card_sets_until_success_buckets_satisfied_conversations():
    for sets in (1, 1, 2, 3, 7):
        conversation(Conversation.Outcome.SATISFIED, card_sets=sets)
    conversation(Conversation.Outcome.UNSATISFIED, card_sets=2)
    assert analytics.card_sets_until_success(LONG_AGO) == {"1": 2, "2": 1, "3": 1, "4": 0, "5+": 1}


def test_needs_are_grouped_by_nearness():
    vectors = np.array([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0.95, 0, 0.05], [0, 0, 1]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert analytics.group_needs(vectors, threshold=0.8) == [[0, 1, 3], [2], [4]]


def test_top_needs_group_paraphrases_and_name_what_satisfied_them(demo_catalog):
    dark = Addon.objects.filter(is_active=True).order_by("slug").first()
    other = Addon.objects.filter(is_active=True).order_by("slug").last()
    for session, need in enumerate(["my eyes hurt reading at night", "my eyes hurt when reading at night",
                                    "my eyes hurt reading at night"]):  # fmt: skip
        evidence_record(need=need, slug=dark.slug, signal="satisfied", session=f"s{session}", client=f"c{session}")
    evidence_record(need="find cheap flights", slug=other.slug, signal="up", session="s9", client="c9")
    evidence_record(need="find cheap flights", slug=dark.slug, signal="down", session="s9", client="c9")  # not a win
    groups = analytics.top_needs(LONG_AGO)
    assert groups[0].need == "my eyes hurt reading at night" and groups[0].conversations == 3
    assert groups[0].examples == ["my eyes hurt when reading at night"]
    assert groups[0].addons == [(dark.name, 3)]
    assert [(group.need, group.addons) for group in groups[1:]] == [("find cheap flights", [(other.name, 1)])]


def test_unmet_needs_group_what_unsatisfied_visitors_asked():
    for need in ("convert recipes to metric", "convert recipe units to metric", "a clock for mars time"):
        conversation(Conversation.Outcome.UNSATISFIED, need=need)
    conversation(Conversation.Outcome.SATISFIED, need="a clock for mars time")
    groups = analytics.unmet_needs(LONG_AGO)
    assert [(group.conversations, len(group.examples)) for group in groups] == [(2, 1), (1, 0)]
    assert groups[0].need in {"convert recipes to metric", "convert recipe units to metric"}
    assert groups[1].need == "a clock for mars time"


def test_the_analytics_page_shows_rates_charts_and_needs(staff):
    conversation(Conversation.Outcome.SATISFIED, card_sets=2)
    conversation(Conversation.Outcome.UNSATISFIED, need="convert recipes to metric")
    page = staff.get(reverse("admin:chatbot_conversation_analytics")).content.decode()
    assert '<strong style="font-size:1.6em">50%</strong>' in page
    assert "of the 2 conversations where the visitor said whether the cards fit" in page
    assert page.count('role="img"') == 2 and 'aria-label="Satisfied conversations by card sets' in page
    assert "<td>convert recipes to metric</td>" in page.replace("\n", "")
    assert "No visitor has said" in page  # no evidence stored: the top needs say so
    changelist = staff.get(reverse("admin:chatbot_conversation_changelist")).content.decode()
    assert reverse("admin:chatbot_conversation_analytics") in changelist


def test_the_analytics_page_takes_a_period_and_ignores_a_bad_one(staff):
    old = conversation(Conversation.Outcome.SATISFIED)
    Conversation.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=20))
    url = reverse("admin:chatbot_conversation_analytics")
    assert "No decided conversations yet." in staff.get(url, {"days": "7"}).content.decode()
    assert "<strong>Last 30 days</strong>" in staff.get(url, {"days": "bogus"}).content.decode()
    assert "100%" in staff.get(url, {"days": "30"}).content.decode()
