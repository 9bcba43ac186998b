"""Simulated visitors for the dialogue benches: a visitor who knows what they want but not its name, and
dialogues generated from the catalogue, split into a half to tune on and a half to check on.

A dialogue has a target add-on, a vague opening and the facts the visitor reveals when asked (its
category, a site it works on, what it does, something else it does). Generated ones take all of these
from the target's own listing: the opening from its category only, the facts from its summary and
permissions, so nothing about a dialogue is written with the policy in mind. What the visitor types is
short (a clause, cut at MAX_FEATURE_WORDS), but what they recognise in a quick reply is everything the
listing says it does ("knows"): a visitor after a DeepL translator knows an option "DeepL" when they see
it, even if the ten words they typed stopped before it.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

FACT_ORDER = ("category", "site", "feature", "other")  # vaguest first
QUESTION_FACTS = {  # cue words in a question that ask for one fact
    "site": ("site", "website", "where"),
    "feature": ("do", "function", "feature", "mainly", "closest"),
    "category": ("kind", "category", "type"),
}
# How a visitor who cannot name the add-on opens, per category: the need in its vaguest form.
OPENINGS = {
    "alerts-updates": "something that tells me when things change",
    "appearance": "something to change how websites look",
    "bookmarks": "help with my bookmarks",
    "download-management": "something for downloading things",
    "feeds-news-blogging": "something for reading news",
    "games-entertainment": "something fun for the browser",
    "language-support": "help with languages",
    "photos-music-videos": "something for videos or music",
    "privacy-security": "something for my privacy",
    "search-tools": "help with searching",
    "shopping": "something for shopping online",
    "social-communication": "something for social media",
    "tabs": "help with my tabs",
    "web-development": "a tool for web developers",
}
MIN_SUMMARY_WORDS = 6
MAX_FEATURE_WORDS = 10
MIN_FEATURE_CONTENT_WORDS = 3
SPLIT_SEED = 2026
CLAUSE_END = re.compile(r"[.!?;:]\s+|\s+[-–—]\s+")


def content_words(text: str) -> set[str]:
    from retrieval.text import stem, words

    return {stem(word) for word in words(text)}


class Visitor:
    """Answers like a person who knows what they want but not its name."""

    def __init__(self, case: dict) -> None:
        from marketplace.categories import category_name

        self.facts = {key: value for key, value in case["facts"].items() if value}
        if "category" in self.facts:
            self.facts["category"] = category_name(self.facts["category"])
        self.knows = case.get("knows", "")
        self.told: set[str] = set()

    def pick_option(self, options: list[dict]) -> dict | None:
        """The quick reply that says what the visitor wants: its category by name, or words of where it
        works and what it does, as far as they know it (the most of them); none when no option does. A word the
        option shares only with the category's name ("languages" for Language Support) is not what it does."""
        for option in options:
            if option["label"] == self.facts.get("category"):
                return option
        told = (self.facts.get(fact, "") for fact in ("site", "feature", "other"))
        known = set().union(content_words(self.knows), *(content_words(text) for text in told))
        scored = [(len(content_words(option["label"]) & known), option) for option in options]
        best = max(scored, key=lambda pair: pair[0], default=(0, None))
        return best[1] if best[0] > 0 else None

    def answer(self, question: str) -> str:
        """The fact a question asks for, else the vaguest one not told yet."""
        asked = set(re.findall(r"[a-z]+", question.lower()))
        for fact, cues in QUESTION_FACTS.items():
            if fact in self.facts and fact not in self.told and asked & set(cues):
                self.told.add(fact)
                return self.facts[fact]
        for fact in FACT_ORDER:
            if fact in self.facts and fact not in self.told:
                self.told.add(fact)
                return self.facts[fact]
        return "something else"


@dataclass
class Outcome:
    card_sets: int | None  # card sets shown until the target appeared, None if it never did
    shown: list[str]


def play(decide: Callable, case: dict, *, max_card_sets: int = 5, search: Callable | None = None,
         llm_rewrite: Callable | None = None, on_decision: Callable | None = None) -> Outcome:  # fmt: skip
    """One dialogue in process, as the chat runs it minus storage and words: the policy decides, the
    visitor reacts to each card set or question until the target is shown or they give up.
    `on_decision(state, decision)` sees every decision, to write its reply."""
    from chatbot.dialogue.events import Answer, Message, Unsatisfied
    from chatbot.dialogue.state import ConversationState
    from chatbot.search import search_candidates

    visitor, state = Visitor(case), ConversationState()
    event: object = Message(case["opening"])
    sets, shown = 0, []
    for _ in range(max_card_sets * 4):
        decision = decide(state, event, search=search or search_candidates, llm_rewrite=llm_rewrite)
        if on_decision is not None:
            on_decision(state, decision)
        if decision.cards:
            sets += 1
            shown += [card.slug for card in decision.cards]
            if case["target"] in {card.slug for card in decision.cards}:
                return Outcome(sets, shown)
            if sets >= max_card_sets:
                return Outcome(None, shown)
        if decision.question is not None:
            payload = decision.question.payload()
            option = visitor.pick_option(payload["options"])
            event = (Answer(payload["id"], option["id"]) if option is not None
                     else Message(visitor.answer(payload["text"])))  # fmt: skip
        else:
            event = Unsatisfied()
    return Outcome(None, shown)


def generated_dialogues(count: int, *, seed: int = SPLIT_SEED) -> list[dict]:
    """`count` dialogues from the catalogue in the database, each about an add-on with a summary to tell."""
    from marketplace.models import Addon
    from retrieval.cards import addon_site_labels

    rng = random.Random(seed)
    addons = [
        addon for addon in Addon.objects.filter(is_active=True).prefetch_related("categories").order_by("slug")
        if len(addon.summary_text.split()) >= MIN_SUMMARY_WORDS
        and any(category.slug in OPENINGS for category in addon.categories.all())
    ]  # fmt: skip
    cases = []
    for addon in rng.sample(addons, min(count, len(addons))):
        category = next(category.slug for category in addon.categories.all() if category.slug in OPENINGS)
        clauses = [_without_name(clause, addon.name) for clause in CLAUSE_END.split(addon.summary_text)]
        clauses = [" ".join(clause.split()[:MAX_FEATURE_WORDS]) for clause in clauses if _says_what_it_does(clause)]
        sites = addon_site_labels(addon)
        cases.append({
            "id": f"gen-{addon.slug}",
            "target": addon.slug,
            "opening": OPENINGS[category],
            "knows": _without_name(addon.summary_text, addon.name),
            "facts": {"category": category, "site": sites[0] if len(sites) == 1 else "",
                      "feature": clauses[0] if clauses else "", "other": clauses[1] if len(clauses) > 1 else ""},
        })  # fmt: skip
    return [case for case in cases if case["facts"]["feature"]]


def _without_name(text: str, name: str) -> str:
    """The visitor does not know the name, so they never say it (the words in it they may: "take a
    screenshot of the video" is what anyone says, whatever the add-on is called)."""
    return " ".join(re.sub(re.escape(name), " ", text, flags=re.IGNORECASE).split()).strip(" ,-")


def _says_what_it_does(text: str) -> bool:
    """A clause a visitor could say: in Latin letters, with a few words that are not function words."""
    from retrieval.text import words

    letters = re.findall(r"[^\W\d_]", text)
    latin = sum(char.isascii() for char in letters)
    return len(words(text)) >= MIN_FEATURE_CONTENT_WORDS and latin >= 0.9 * len(letters)


def split(cases: list[dict], *, seed: int = SPLIT_SEED) -> tuple[list[dict], list[dict]]:
    """A stable half to tune on and a half to check on, by each case's target."""
    tune, validation = [], []
    for case in cases:
        digest = hashlib.sha256(f"{seed}:{case['target']}".encode()).digest()
        (validation if digest[0] % 2 else tune).append(case)
    return tune, validation
