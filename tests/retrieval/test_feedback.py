"""The feedback memory: add-ons that satisfied needs near a new one rise among its candidates, only when
several visitors agree, with decay; one visitor cannot push an add-on, however often it votes."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.management import call_command

from chatbot.dialogue.events import CardFeedback, Satisfied
from chatbot.dialogue.state import ConversationState, Step
from chatbot.models import Conversation
from chatbot.protocol import Click
from chatbot.services import client_key, conversation_evidence_record
from chatbot.turns import _picks
from retrieval.feedback import HALF_LIFE_DAYS, FeedbackMemory, Piece
from retrieval.models import Evidence
from retrieval.recommend import recommend
from retrieval.selectors import feedback_memory

NEED = np.eye(4)[0]
NEAR_NEED = np.array([0.9, 0.3, 0.0, 0.0]) / np.linalg.norm([0.9, 0.3])
FAR_NEED = np.eye(4)[2]
SAME_TOPIC_NEED = np.array([0.52, 0.0, np.sqrt(1 - 0.52**2), 0.0])  # cosine 0.52 with NEED
CANDIDATES = {"good", "other", "wrong"}


def memory(*pieces: tuple[np.ndarray, str, str, str], age: float = 0.0) -> FeedbackMemory:
    return FeedbackMemory(
        [vector for vector, *_ in pieces],
        [Piece(slug=slug, signal=signal, client=client, age_days=age) for _, slug, signal, client in pieces],
    )


def test_two_visitors_with_near_needs_lift_what_satisfied_them_for_a_new_need():
    learned = memory((NEED, "good", "satisfied", "a"), (NEAR_NEED, "good", "up", "b"))
    strength = learned.strengths(NEED, CANDIDATES)["good"]
    assert 0.5 < strength < 1  # the second visitor's need is near, not the same: it counts less
    assert learned.strengths(FAR_NEED, CANDIDATES) == {}  # an unrelated need learns nothing
    assert learned.strengths(NEED, {"other"}) == {}  # only reorders the need's own candidates
    agreed = memory((NEED, "good", "up", "a"), (NEED, "good", "up", "b"))
    assert agreed.strengths(NEED, CANDIDATES) == {"good": 1.0}
    assert agreed.strengths(SAME_TOPIC_NEED, CANDIDATES) == {}  # a need that only shares the topic learns nothing


def test_one_visitor_cannot_push_an_add_on_however_many_votes_or_sessions():
    one_client = [(NEED, "wrong", "up", "attacker")] * 100 + [(NEAR_NEED, "wrong", "satisfied", "attacker")] * 5
    assert memory(*one_client).strengths(NEED, CANDIDATES) == {}
    with_one_more = memory(*one_client, (NEED, "wrong", "up", "someone-else"))
    assert with_one_more.scores(NEED)["wrong"] == pytest.approx(2.0)  # each client counts once: 1 + 1


def test_down_votes_of_several_visitors_lower_an_add_on_and_one_visitor_s_do_not():
    assert memory((NEED, "other", "down", "a")).strengths(NEED, CANDIDATES) == {}
    lowered = memory((NEED, "other", "down", "a"), (NEAR_NEED, "other", "down", "b"))
    assert -1 <= lowered.strengths(NEED, CANDIDATES)["other"] < -0.5


def test_evidence_decays_with_age():
    fresh = memory((NEED, "good", "up", "a"), (NEED, "good", "up", "b"))
    old = memory((NEED, "good", "up", "a"), (NEED, "good", "up", "b"), age=HALF_LIFE_DAYS)
    assert old.scores(NEED)["good"] == pytest.approx(fresh.scores(NEED)["good"] / 2)


def test_a_vote_and_that_s_it_and_a_click_are_picked_from_the_cards_shown_for_the_need():
    state = ConversationState(
        steps=[Step(turn=1, event="message", action="recommend", query="dim bright pages", cards=("a", "b", "c"))],
        feedback={"b": "up"},
    )
    assert _picks(CardFeedback(slug="b", value="up"), state) == [("dim bright pages", "b", "up")]
    assert _picks(Click(slug="c"), state) == [("dim bright pages", "c", "click")]
    assert _picks(Satisfied(), state) == [("dim bright pages", "b", "satisfied")]  # the card voted up
    assert _picks(Click(slug="never-shown"), state) == []
    state.feedback.clear()
    assert _picks(Satisfied(), state) == [("dim bright pages", "a", "satisfied")]  # none voted: the first
    state.feedback["a"] = "down"
    assert _picks(Satisfied(), state) == [("dim bright pages", "b", "satisfied")]  # never one voted down


def test_a_visitor_is_known_by_a_salted_hash_of_their_address_never_the_address():
    key = client_key("198.51.100.7")
    assert len(key) == 32 and "198" not in key and key == client_key("198.51.100.7") != client_key("198.51.100.8")
    assert client_key("") == ""


def test_two_visitors_lift_an_add_on_in_recommend_and_the_command_reports_it(demo_catalog, capsys):
    need = "my screen is too bright in the evening"
    before = [result.addon.slug for result in recommend(need, k=10)]
    target = before[-1]  # a candidate the need matches, ranked low
    for address in ("198.51.100.1", "198.51.100.2"):
        conversation = Conversation.objects.create(client=address)
        for _ in range(3):  # a chat's repeated votes are one
            conversation_evidence_record(conversation=conversation, picks=[(need, target, "up")])
    assert Evidence.objects.count() == 2 and len(feedback_memory()) == 2
    after = [result.addon.slug for result in recommend(need, k=10)]
    assert after.index(target) < before.index(target)
    call_command("learn_from_feedback")
    output = capsys.readouterr().out
    assert "2 pieces of evidence from 2 visitors" in output and f"{target}: favoured by 2 visitor(s)" in output
