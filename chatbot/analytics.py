"""Reads for the staff analytics page: how visitors fare, what they ask, what satisfied them, and what the
catalogue could not answer.

A conversation counts once it showed cards. Its outcome is the visitor's last word on them ("That's it!" or
an up-vote on the last set: satisfied; "not what I need", a down-vote or "something else": unsatisfied); one
with no word either way is undecided and left out of the rate, since leaving says nothing. Needs are grouped
by the embedding the search uses, so "tabs lost after a crash" and "restore my tabs after firefox crashed"
are one line.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from chatbot.models import Conversation, Message
from retrieval.models import Evidence

SAME_NEED = 0.6  # cosine of two needs' MiniLM embeddings above which they are one need to staff
CARD_SET_BUCKETS = ("1", "2", "3", "4", "5+")
MAX_NEEDS = 2000  # needs grouped per page view: the most recent, so a busy site's page stays fast
POSITIVE = (Evidence.Signal.SATISFIED, Evidence.Signal.UP)


@dataclass(frozen=True)
class Satisfaction:
    satisfied: int
    unsatisfied: int
    undecided: int

    @classmethod
    def of(cls, by_outcome: Mapping[str, int]) -> Satisfaction:
        """From conversation counts by outcome (missing outcomes count 0)."""
        return cls(
            by_outcome.get(Conversation.Outcome.SATISFIED, 0),
            by_outcome.get(Conversation.Outcome.UNSATISFIED, 0),
            by_outcome.get(Conversation.Outcome.OPEN, 0),
        )

    @property
    def decided(self) -> int:
        return self.satisfied + self.unsatisfied

    @property
    def rate(self) -> float | None:
        return self.satisfied / self.decided if self.decided else None


@dataclass
class NeedGroup:
    """Needs that say the same thing: the words most used for it, how many conversations, and (for met
    needs) the add-ons that satisfied it with the number of conversations each."""

    need: str
    conversations: int
    examples: list[str] = field(default_factory=list)
    addons: list[tuple[str, int]] = field(default_factory=list)


def _shown_cards(conversations: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """Those that showed cards (a reply with cards records when the first card went out)."""
    with_cards = Message.objects.filter(conversation=OuterRef("pk"), first_card_ms__isnull=False)
    return conversations.filter(Exists(with_cards))


def satisfaction(since: datetime) -> Satisfaction:
    rows = (
        _shown_cards(Conversation.objects.filter(created_at__gte=since)).values("outcome").annotate(count=Count("id"))
    )
    return Satisfaction.of({row["outcome"]: row["count"] for row in rows})


def weekly_satisfaction(weeks: int) -> list[tuple[date, Satisfaction]]:
    """The last `weeks` weeks, oldest first (weeks without conversations included)."""
    today = timezone.localdate()
    start = today - timedelta(days=today.weekday(), weeks=weeks - 1)
    rows = (
        _shown_cards(Conversation.objects.filter(created_at__date__gte=start))
        .annotate(week=TruncWeek("created_at"))
        .values("week", "outcome")
        .annotate(count=Count("id"))
    )
    by_week: dict[date, Counter] = defaultdict(Counter)
    for row in rows:
        by_week[row["week"].date()][row["outcome"]] += row["count"]
    weeks_shown = (start + timedelta(weeks=offset) for offset in range(weeks))
    return [(week, Satisfaction.of(by_week.get(week, {}))) for week in weeks_shown]


def card_sets_until_success(since: datetime) -> dict[str, int]:
    """Satisfied conversations by the number of card sets shown up to the one that satisfied."""
    buckets = dict.fromkeys(CARD_SET_BUCKETS, 0)
    satisfied = Conversation.objects.filter(created_at__gte=since, outcome=Conversation.Outcome.SATISFIED)
    for state in satisfied.values_list("state", flat=True).iterator(chunk_size=500):
        sets = sum(1 for step in state.get("steps", []) if step.get("cards"))
        if sets:
            buckets[CARD_SET_BUCKETS[min(sets, len(CARD_SET_BUCKETS)) - 1]] += 1
    return buckets


def group_needs(vectors: np.ndarray, *, threshold: float = SAME_NEED) -> list[list[int]]:
    """Rows grouped greedily: each row joins the first group whose first row it is near, else starts one.
    Biggest groups first. Plain numpy, so it is tested without a model."""
    leaders: list[int] = []
    groups: list[list[int]] = []
    for row in range(len(vectors)):
        if leaders:
            similarity = vectors[leaders] @ vectors[row]
            best = int(np.argmax(similarity))
            if similarity[best] >= threshold:
                groups[best].append(row)
                continue
        leaders.append(row)
        groups.append([row])
    return sorted(groups, key=len, reverse=True)


def _wording(texts: Sequence[str]) -> tuple[str, list[str]]:
    """The words most used for a need (the most common, then the shortest), and a few other wordings."""
    counts = Counter(" ".join(text.split()) for text in texts)
    ordered = sorted(counts, key=lambda text: (-counts[text], len(text)))
    return ordered[0], ordered[1:4]


def top_needs(since: datetime, *, limit: int = 10) -> list[NeedGroup]:
    """Needs that found their add-on ("That's it!" or an up-vote), by conversations, each with the add-ons
    that satisfied it."""
    rows = list(
        Evidence.objects.filter(created_at__gte=since, signal__in=POSITIVE)
        .order_by("-created_at")
        .values_list("need", "vector", "session", "addon__name")[:MAX_NEEDS]
    )
    if not rows:
        return []
    vectors = np.stack([np.frombuffer(bytes(vector), dtype=np.float32) for _, vector, _, _ in rows])
    groups = []
    for members in group_needs(vectors):
        sessions_by_addon: dict[str, set[str]] = defaultdict(set)
        for row in members:
            sessions_by_addon[rows[row][3]].add(rows[row][2])
        need, examples = _wording([rows[row][0] for row in members])
        addons = sorted(((name, len(sessions)) for name, sessions in sessions_by_addon.items()), key=lambda a: -a[1])
        groups.append(NeedGroup(need, len({rows[row][2] for row in members}), examples, addons[:5]))
    return sorted(groups, key=lambda group: -group.conversations)[:limit]


def unmet_needs(since: datetime, *, limit: int = 10) -> list[NeedGroup]:
    """What visitors asked in conversations that ended unsatisfied, grouped: what the catalogue may lack."""
    from retrieval.embedder import embeddings

    states = (
        Conversation.objects.filter(created_at__gte=since, outcome=Conversation.Outcome.UNSATISFIED)
        .order_by("-created_at")
        .values_list("state", flat=True)[:MAX_NEEDS]
    )
    needs = [need for state in states if (need := (state.get("said") or " ".join(state.get("needs", [])[:1])).strip())]
    if not needs:
        return []
    vectors = np.asarray(embeddings().embed_documents(needs), dtype=np.float32)
    groups = []
    for members in group_needs(vectors)[:limit]:
        need, examples = _wording([needs[row] for row in members])
        groups.append(NeedGroup(need, len(members), examples))
    return groups
