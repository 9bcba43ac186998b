"""ConversationState: everything the policy remembers between frames, as JSON-ready plain data.

The caller stores `to_dict()` on the conversation row after each event and rebuilds with `from_dict()`,
so a reconnect resumes exactly where the visitor left off.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields, replace

from chatbot.dialogue.candidates import Candidate
from retrieval.query import Filters
from retrieval.text import tokens

CATEGORY = "category"
FREE = "free"
NO_ALL_SITES = "no_all_sites"
MIN_RATING = "min_rating"
OPEN_SOURCE = "open_source"
TERM = "term"
SINGLE_VALUED = frozenset({CATEGORY, FREE, NO_ALL_SITES, MIN_RATING, OPEN_SOURCE})


@dataclass(frozen=True)
class Constraint:
    """A narrowing the visitor asked for: a Filters field, or words every result should be about."""

    kind: str
    value: str = ""
    label: str = ""  # how the reply names it: "free only", "Privacy & Security", "youtube"


@dataclass(frozen=True)
class Option:
    """A quick reply: what it says, what choosing it applies, and the add-ons it stood for."""

    id: str
    label: str
    constraints: tuple[Constraint, ...] = ()
    slugs: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict) -> Option:
        return cls(
            id=data["id"],
            label=data["label"],
            slugs=tuple(data.get("slugs", ())),
            constraints=tuple(Constraint(**item) for item in data.get("constraints", ())),
        )


@dataclass
class Question:
    id: str
    facet: str
    text: str
    options: tuple[Option, ...] = ()
    answer_option: str = ""  # the option id chosen
    answer_text: str = ""  # or the visitor's own words

    @property
    def answered(self) -> bool:
        return bool(self.answer_option or self.answer_text)

    def option(self, option_id: str) -> Option | None:
        return next((option for option in self.options if option.id == option_id), None)

    def payload(self) -> dict:
        """What the visitor's client is sent: the wording and quick replies, never slugs or constraints."""
        return {
            "id": self.id,
            "text": self.text,
            "options": [{"id": option.id, "label": option.label} for option in self.options],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Question:
        return cls(**{**data, "options": tuple(Option.from_dict(item) for item in data.get("options", ()))})


@dataclass(frozen=True)
class Step:
    """One handled event: what came in, what the policy did, and the cards it showed."""

    turn: int
    event: str
    action: str
    query: str = ""
    cards: tuple[str, ...] = ()
    question: str = ""


# What a conversation remembers is bounded, however long it runs: its latest needs, steps and votes (older
# cards may then be shown again).
MAX_NEEDS = 20
MAX_STEPS = 100
MAX_VOTES = 200


@dataclass
class ConversationState:
    needs: list[str] = field(default_factory=list)  # the visitor's messages, in order
    query: str = ""  # the current standalone query, constraint words excluded
    constraints: list[Constraint] = field(default_factory=list)  # in the order they were applied
    steps: list[Step] = field(default_factory=list)
    feedback: dict[str, str] = field(default_factory=dict)  # slug -> "up" | "down"
    satisfied: bool = False
    unsatisfied: bool = False
    questions: list[Question] = field(default_factory=list)
    open_question: str = ""  # id of the question still waiting for an answer
    turn: int = 0
    more: list[Candidate] = field(default_factory=list)  # last results not shown yet, best first
    said: str = ""  # the visitor's own words for the current need, as they wrote them
    language: str = ""  # the language the visitor writes in, once their words have told it

    @property
    def shown(self) -> list[str]:
        return [slug for step in self.steps for slug in step.cards]

    def has_need(self) -> bool:
        return bool(self.query or self.constraints)

    def excluded(self) -> frozenset[str]:
        """Never show again: everything shown in this conversation and everything voted down."""
        return frozenset(self.shown) | {slug for slug, value in self.feedback.items() if value == "down"}

    def filters(self) -> Filters:
        values = {constraint.kind: constraint.value for constraint in self.constraints}
        return Filters(
            category=values.get(CATEGORY, ""),
            min_rating=float(values[MIN_RATING]) if MIN_RATING in values else None,
            free_only=FREE in values,
            no_all_sites=NO_ALL_SITES in values,
        )

    def terms(self) -> list[str]:
        """Words the constraints add to the query."""
        return [
            "open source" if constraint.kind == OPEN_SOURCE else constraint.value
            for constraint in self.constraints
            if constraint.kind in (TERM, OPEN_SOURCE)
        ]

    def search_query(self) -> str:
        """The query plus the constraint terms it does not already say."""
        said = set(tokens(self.query))
        extra = [term for term in self.terms() if not set(tokens(term)) <= said]
        return " ".join([self.query, *extra]).strip()

    def apply(self, constraint: Constraint) -> None:
        """Add a constraint; a new category (or free, ...) replaces the old one, terms accumulate."""
        if any((item.kind, item.value) == (constraint.kind, constraint.value) for item in self.constraints):
            return
        if constraint.kind in SINGLE_VALUED:
            self.constraints = [item for item in self.constraints if item.kind != constraint.kind]
        self.constraints.append(constraint)

    def relax(self) -> Constraint | None:
        """Drop the most recent constraint, the likeliest to have over-narrowed."""
        return self.constraints.pop() if self.constraints else None

    def question(self, question_id: str) -> Question | None:
        return next((question for question in self.questions if question.id == question_id), None)

    def pending_question(self) -> Question | None:
        return self.question(self.open_question) if self.open_question else None

    def record(self, event: str, action: str, cards: Iterable[Candidate] = (), question: str = "") -> None:
        self.steps.append(Step(self.turn, event, action, self.query, tuple(card.slug for card in cards), question))
        del self.steps[:-MAX_STEPS]

    def vote(self, slug: str, value: str) -> None:
        self.feedback.pop(slug, None)  # the latest vote is the newest entry
        self.feedback[slug] = value
        while len(self.feedback) > MAX_VOTES:
            del self.feedback[next(iter(self.feedback))]

    def remember_need(self, text: str) -> None:
        self.needs.append(text)
        del self.needs[:-MAX_NEEDS]

    def clear(self) -> None:
        fresh = ConversationState()
        for item in fields(self):
            setattr(self, item.name, getattr(fresh, item.name))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ConversationState:
        """Rebuild from `to_dict()` output; keys missing from older rows take their defaults. The state is a
        copy: a turn that fails half-way leaves `data` (the stored conversation) as it was."""
        data = copy.deepcopy(data)
        state = cls(
            **{key: value for key, value in data.items() if key not in {"constraints", "steps", "questions", "more"}}
        )
        state.constraints = [Constraint(**item) for item in data.get("constraints", ())]
        state.steps = [replace(Step(**item), cards=tuple(item.get("cards", ()))) for item in data.get("steps", ())]
        state.questions = [Question.from_dict(item) for item in data.get("questions", ())]
        state.more = [Candidate.from_dict(item) for item in data.get("more", ())]
        return state
