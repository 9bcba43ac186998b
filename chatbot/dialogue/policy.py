"""decide(): one visitor event in, the updated state and what to do next out.

Cards never repeat within a conversation and a down-voted add-on never comes back. When the visitor
says the cards miss, the policy does not guess again blindly: it searches a wider pool and asks the one
question whose answer best splits it, then folds the answer (a quick reply or their own words) into the
next search.
"""

from __future__ import annotations

from dataclasses import dataclass

from chatbot.dialogue.candidates import Candidate, Search
from chatbot.dialogue.decision import Action, Decision, ReplyKind
from chatbot.dialogue.events import Answer, CardFeedback, Event, Message, More, Reset, Satisfied, Unsatisfied
from chatbot.dialogue.questions import (
    ANY,
    ENGLISH,
    FUNCTION,
    MAX_ASKS,
    OPEN,
    SITE,
    YES_NO_FACETS,
    choose_question,
    open_question,
    settled,
)
from chatbot.dialogue.rewrite import LLMRewrite, Reading, is_new_need, read, standalone_query
from chatbot.dialogue.state import OPEN_SOURCE, Constraint, ConversationState, Option, Question
from retrieval.language import detect_language
from retrieval.text import tokens

POOL_SIZE = 30  # candidates a follow-up question is computed from
RESULTS = 12  # results fetched per turn: the cards plus what "more" pages through
WHAT_IT_DOES = frozenset({OPEN, FUNCTION})  # questions a description in the visitor's words answers
# Quick replies that stay even when their cards missed: a yes/no preference, and a site, which is a fact
# of the need (a visitor who picks YouTube wants YouTube), unlike the nearest of a few offered functions.
KEPT_ANSWERS = YES_NO_FACETS | {SITE}


def decide(
    state: ConversationState,
    event: Event,
    *,
    search: Search,
    cards_per_turn: int = 3,
    llm_rewrite: LLMRewrite | None = None,
) -> Decision:
    """Handle one event: update `state` in place (the caller persists it) and say what to show."""
    if isinstance(event, Reset):
        return reset(state)
    state.turn += 1
    turn = Turn(state, search, cards_per_turn)
    match event:
        case Message(text=text):
            decision = turn.message(text, llm_rewrite)
        case Unsatisfied():
            decision = turn.follow_up()
        case CardFeedback(slug=slug, value=value):
            decision = turn.feedback(slug, value)
        case Answer(question_id=question_id, option_id=option_id):
            decision = turn.answer(question_id, option_id)
        case More():
            decision = turn.more()
        case Satisfied():
            decision = turn.close()
        case _:
            raise TypeError(f"not a dialogue event: {event!r}")
    return recorded(state, event, decision)


def noop() -> Decision:
    return Decision(Action.NOOP, ReplyKind.NONE)


def reset(state: ConversationState) -> Decision:
    state.clear()
    return Decision(Action.RESET, ReplyKind.NONE)


def recorded(state: ConversationState, event: Event, decision: Decision) -> Decision:
    """Log the step in the state, so the caller persists it with everything else."""
    state.record(
        type(event).__name__, decision.action, decision.cards, decision.question.id if decision.question else ""
    )
    return decision


@dataclass
class Turn:
    """The handlers for one event; they share the state, the search and the page size."""

    state: ConversationState
    search: Search
    per_turn: int

    def results(self, k: int) -> tuple[list[Candidate], Constraint | None]:
        """Search with every constraint; if nothing matches, without the most recent one."""
        found = self._search(k)
        if found or not self.state.constraints:
            return found, None
        relaxed = self.state.relax()
        return self._search(k), relaxed

    def _search(self, k: int) -> list[Candidate]:
        excluded = self.state.excluded()
        found = [
            candidate
            for candidate in self.search(self.state.search_query(), self.state.filters(), excluded, k)
            if candidate.slug not in excluded
        ]
        if any(constraint.kind == OPEN_SOURCE for constraint in self.state.constraints):
            found.sort(key=lambda candidate: not candidate.open_source)
        return found

    def recommend(self, *, chosen: Option | None = None) -> Decision:
        """Fresh cards for the current query. After a quick reply, the add-ons the chosen option stood for
        go first (those the new search also finds, in its order, then the rest of them): the visitor
        picked exactly those; the other results follow for "more"."""
        found, relaxed = self.results(RESULTS)
        if chosen is not None and chosen.constraints:
            excluded, filters = self.state.excluded(), self.state.filters()
            picked = [candidate for candidate in found if candidate.slug in chosen.slugs]
            seen = {candidate.slug for candidate in picked}
            picked += [
                candidate
                for candidate in self.state.more
                if candidate.slug in chosen.slugs
                and candidate.slug not in excluded | seen
                and candidate.allowed_by(filters)
            ]
            picked_slugs = {candidate.slug for candidate in picked}
            found = picked + [candidate for candidate in found if candidate.slug not in picked_slugs]
        return self.show(found, relaxed=relaxed)

    def show(
        self, found: list[Candidate], *, action: Action = Action.RECOMMEND, relaxed: Constraint | None = None
    ) -> Decision:
        cards, self.state.more = found[: self.per_turn], found[self.per_turn :]
        reply_kind = (ReplyKind.MORE if action == Action.MORE else ReplyKind.RECOMMEND) if cards else ReplyKind.EMPTY
        return Decision(
            action, reply_kind, self.state.search_query(), cards, relaxed=relaxed, has_more=bool(self.state.more)
        )

    def message(self, text: str, llm_rewrite: LLMRewrite | None) -> Decision:
        state = self.state
        state.remember_need(text)
        state.language = detect_language(text) or state.language
        reading = read(text)
        if reading.more:
            return self.more()
        if reading.thanks:
            return self.close()
        question = state.pending_question()
        starts_over = reading.new_need and is_new_need(state.query, reading)
        if question and not starts_over:
            return self.answer_in_words(question, text, reading, llm_rewrite)
        state.open_question = ""
        if reading.pure_rejection:
            return self.follow_up()
        if not reading.content and not reading.constraints:
            return noop()
        state.unsatisfied = state.unsatisfied or reading.rejects
        if is_new_need(state.query, reading):
            state.constraints, state.said = [], text
        state.query = standalone_query(state.query, text, llm_rewrite=llm_rewrite)
        for constraint in reading.constraints:
            state.apply(constraint)
        return self.recommend()

    def close(self) -> Decision:
        self.state.satisfied, self.state.unsatisfied, self.state.open_question = True, False, ""
        return Decision(Action.CLOSE, ReplyKind.THANKS, self.state.search_query())

    def follow_up(self) -> Decision:
        """The cards missed: ask the question that best splits a wider pool, or show the next best.

        When the cards a quick reply led to missed, the options did not hold what the visitor wants, and
        more options from the same pool rarely do: they are asked, in their own words, what it should do.
        """
        state = self.state
        state.unsatisfied, state.satisfied = True, False
        if not state.has_need():
            return noop()
        missed = quick_reply_missed(state)
        if missed is not None and missed.facet not in KEPT_ANSWERS:
            drop_lead(state, missed)
        pool, relaxed = self.results(POOL_SIZE)
        asked, offered = settled(state.questions)
        question_id, language = f"q{len(state.questions) + 1}", state.language or ENGLISH
        if missed is not None and sum(question.facet == OPEN for question in state.questions) < MAX_ASKS:
            question: Question | None = open_question(question_id, language)
        else:
            question = choose_question(
                pool,
                asked=asked,
                offered=offered,
                constraints=state.constraints,
                language=language,
                query=state.query,
                question_id=question_id,
            )
        if question is None:
            return self.show(pool, relaxed=relaxed)
        state.questions.append(question)
        state.open_question = question.id
        state.more = pool
        return Decision(
            Action.ASK,
            ReplyKind.QUESTION,
            state.search_query(),
            question=question,
            relaxed=relaxed,
            has_more=bool(pool),
        )

    def feedback(self, slug: str, value: str) -> Decision:
        self.state.vote(slug, value)
        if value != "down":
            return noop()
        self.state.more = [candidate for candidate in self.state.more if candidate.slug != slug]
        return noop() if self.state.open_question else self.follow_up()

    def answer(self, question_id: str, option_id: str) -> Decision:
        question = self.state.question(question_id)
        option = question.option(option_id) if question else None
        if question is None or option is None or question.answered:
            return noop()
        question.answer_option = option.id
        return self.choose(option)

    def choose(self, option: Option | None, *, promote: bool = True) -> Decision:
        """Apply the chosen option; its add-ons go first unless the visitor said more than the option."""
        self.state.open_question = ""
        if option is None:
            return self.recommend()
        for constraint in option.constraints:
            self.state.apply(constraint)
        return self.recommend(chosen=option if promote else None)

    def answer_in_words(
        self, question: Question, text: str, reading: Reading, llm_rewrite: LLMRewrite | None
    ) -> Decision:
        """A typed answer: take the option it names, if any, and fold its words into the query. Asked what
        it should do, a visitor who describes it in words that share little with what they said before
        has stated the need itself: the description replaces the vaguer query (constraints stay)."""
        question.answer_text = text
        option = matching_option(question, reading)
        if option:
            question.answer_option = option.id
        for constraint in reading.constraints:
            self.state.apply(constraint)
        if not reading.indifferent:
            restated = question.facet in WHAT_IT_DOES and is_new_need(self.state.query, reading)
            self.state.query = standalone_query(self.state.query, text, llm_rewrite=llm_rewrite, answer=not restated)
        return self.choose(option, promote=option is not None and says_only(option, reading))

    def more(self) -> Decision:
        if not self.state.has_need():
            return noop()
        excluded = self.state.excluded()
        waiting = [candidate for candidate in self.state.more if candidate.slug not in excluded]
        if len(waiting) >= self.per_turn:
            return self.show(waiting, action=Action.MORE)
        found, relaxed = self.results(RESULTS)
        return self.show(found, action=Action.MORE, relaxed=relaxed)


def quick_reply_missed(state: ConversationState) -> Question | None:
    """The question answered by a quick reply whose cards the visitor just turned down, if that is where
    the conversation stands."""
    last = state.questions[-1] if state.questions else None
    if (
        last is None
        or not last.answer_option
        or last.answer_text
        or not state.steps
        or state.steps[-1].event != "Answer"
        or not state.steps[-1].cards
    ):
        return None
    return last


def drop_lead(state: ConversationState, question: Question) -> None:
    """A quick reply whose cards missed stops narrowing the search.

    On what it does or which shelf, the option picked was only the nearest of the few offered; keeping it
    would steer every later pool, and the next question, towards the miss. A site or a yes/no answer
    (free, permissions) is a real preference and stays (KEPT_ANSWERS), as do the visitor's own words.
    """
    option = question.option(question.answer_option)
    if option is not None:
        state.constraints = [constraint for constraint in state.constraints if constraint not in option.constraints]


def says_only(option: Option, reading: Reading) -> bool:
    """The answer adds nothing to the option it names ("YouTube", "the one for YouTube")."""
    return set(reading.content) <= set(tokens(option.label))


def matching_option(question: Question, reading: Reading) -> Option | None:
    """The option a typed answer names: by the constraint it states, by the label's words, or "yes"."""
    said = set(reading.content)
    stated = {(constraint.kind, constraint.value) for constraint in reading.constraints}
    best, best_size = None, 0
    for option in question.options:
        if option.constraints and {(constraint.kind, constraint.value) for constraint in option.constraints} <= stated:
            return option
        label = set(tokens(option.label))
        if option.constraints and label <= said and len(label) > best_size:
            best, best_size = option, len(label)
    if best is None and question.facet in YES_NO_FACETS and question.options:
        if reading.affirmative and not reading.content:
            return question.options[0]
        if reading.indifferent:
            return question.option(ANY)
    return best
