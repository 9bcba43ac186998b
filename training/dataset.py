"""The training set: examples in the exact prompt shape the chat serves, from the catalogue and from
conversations that went well.

Catalogue examples pair a visitor need (worded from an add-on's own summary, tags and category, never
naming it) with the cards retrieval would show (the right add-on among neighbours from its category)
and a grounded answer that names the right one and says why; metadata questions (what does it do,
which category, is it free) are answered from the add-on's listing facts. Conversation examples are
replies from satisfied conversations or with up-voted cards, never ones with a down-voted card or
followed by "unsatisfied". Every target passes the chat's own claim verifier (chatbot.llm.verifier) against
its cards and need, and its name guard (no other add-on named, except where the card's own summary names it),
so training never teaches a reply the chat would cut; the rest are counted as dropped.
Examples of one add-on (or one conversation) stay in one split, so the validation set holds needs the
model never trained on.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from chatbot.dialogue.decision import ReplyKind
from chatbot.llm.base import CardFact, ReplyRequest
from chatbot.llm.constrained import MAX_WORDS, MIN_WORDS
from chatbot.llm.guard import ReplyGuard
from chatbot.llm.prompts import build_messages
from chatbot.llm.template import gist
from chatbot.llm.verifier import Facts, unsupported
from chatbot.models import Conversation, Message
from marketplace.models import Addon
from marketplace.selectors import addon_names
from retrieval.text import STOP_WORDS

CARDS_PER_NEED = 3
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
WORD = re.compile(r"[a-z][a-z'-]{2,}")
NEED_FROM_SUMMARY = (
    "I want an add-on that does this: {phrase}",
    "Is there an extension for this? {phrase}",
    "Looking for something like: {phrase}",
)
NEED_FROM_WORDS = (
    "something for {words}",
    "I need an add-on for {words}",
    "any good {category} add-on for {words}?",
    "{words} extension",
)
ARTICLES = frozenset({"a", "an", "the"})
BEFORE_PLAIN_VERBS = frozenset({"you", "can"})  # words a catalogue follows with a verb's plain form
BEFORE_THIRD_PERSON = frozenset({".", "it", "that"})  # and with one in the third person ("." starts a sentence)
VERB_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class Example:
    source: str  # need, about, category, price or conversation
    group: str  # what decides the split: an add-on slug or a conversation id
    need: str  # what the visitor asked, as the prompt states it
    messages: tuple[dict, ...]  # the chat's prompt (system, worked example, user), then the answer
    answer_name: str  # the add-on the answer must name; empty when none is required
    cards: tuple[CardFact, ...]  # what the prompt shows: all the answer may claim, with the need

    @property
    def answer(self) -> str:
        return self.messages[-1]["content"]

    def verified(self, catalogue_names: Collection[str]) -> bool:
        """Whether the chat lets the answer through whole: its claim verifier supports every word, and its
        name guard finds no other add-on named outside the sentence about the card whose summary names it."""
        if unsupported(self.answer, Facts.of(self.cards, self.need)):
            return False
        return not ReplyGuard(self.cards, catalogue_names, need=self.need).violations(self.answer)


@dataclass(frozen=True)
class DatasetFiles:
    train: Path
    validation: Path
    counts: dict


def _facts(addon: Addon) -> CardFact:
    return CardFact(
        slug=addon.slug,
        name=addon.name,
        summary=addon.summary_text,
        categories=tuple(category.name for category in addon.categories.all()),
        rating=addon.rating,
        users=addon.average_daily_users,
        reason="",
    )


def _example(source: str, group: str, request: ReplyRequest, answer: str, answer_name: str) -> Example:
    messages = (*build_messages(request), {"role": "assistant", "content": answer})
    return Example(
        source=source, group=group, need=request.need, messages=messages, answer_name=answer_name, cards=request.cards
    )


def _first_sentence(text: str) -> str:
    return SENTENCE_END.split(" ".join(text.split()), maxsplit=1)[0].strip()


def _without_name(text: str, name: str) -> str:
    """The summary as a visitor might say it: the add-on's own name taken out."""
    text = re.sub(re.escape(name), "", text, flags=re.IGNORECASE)
    return " ".join(text.split()).strip(" -:–—,.")


def _keywords(addon: Addon, limit: int = 4) -> list[str]:
    name_words = set(WORD.findall(addon.name.lower()))
    words = [tag.lower() for tag in addon.tags if isinstance(tag, str) and tag.lower() not in name_words]
    words += [
        word for word in WORD.findall(addon.summary_text.lower()) if word not in STOP_WORDS and word not in name_words
    ]
    return list(dict.fromkeys(words))[:limit]


def _needs(addon: Addon, rng: random.Random) -> list[str]:
    """Two ways a visitor might ask for this add-on without knowing it."""
    needs = []
    phrase = _without_name(_first_sentence(addon.summary_text), addon.name)
    if len(phrase.split()) >= 3:
        needs.append(rng.choice(NEED_FROM_SUMMARY).format(phrase=phrase[0].lower() + phrase[1:]))
    words = _keywords(addon)
    if len(words) >= 2:
        category = addon.categories.all()[0].name.lower() if addon.categories.all() else "browser"
        needs.append(rng.choice(NEED_FROM_WORDS).format(words=" ".join(words), category=category))
    return needs


def catalogue_verbs(texts: Iterable[str]) -> frozenset[str]:
    """The catalogue's verbs in their plain form, from where only a verb can stand: after "you" or "can"
    ("you save"), and in the third person first in a sentence or after "it" or "that" ("Saves pages",
    "it switches"). A summary starting with a plain verb is an instruction ("Save pages ..."), which a reply
    reads "lets you save pages", not "offers save pages"."""
    verbs: set[str] = set()
    for text in texts:
        for sentence in SENTENCE_END.split(text):
            words = VERB_WORD.findall(sentence.lower())
            pairs = list(zip([".", *words], words, strict=False))
            verbs.update(word for before, word in pairs if before in BEFORE_PLAIN_VERBS)
            for word in (word for before, word in pairs if before in BEFORE_THIRD_PERSON and word.endswith("s")):
                verbs.add(word[:-1])  # "saves"; which of the endings it is, the plain forms will tell
                if word.endswith("es"):
                    verbs.add(word[:-2])  # "switches"
                if word.endswith("ies"):
                    verbs.add(word[:-3] + "y")  # "copies"
    return frozenset(verb for verb in verbs if len(verb) > 2 and verb not in STOP_WORDS)  # "protects you from"


def card_sentence(card: CardFact, verbs: Collection[str] = frozenset()) -> str:
    """What the chat's grounded decoding writes for a card: its name, then what its summary says, in the
    summary's words (hyphens and quotes as spaces: the decoder writes words, commas and full stops), in at
    most as many words as the decoder allows a sentence. How the summary starts decides the joint: a verb
    ("Blocks ads") follows the name as it is, an article ("A dark theme") after "is", an instruction ("Save
    pages", a plain verb among `verbs`, from catalogue_verbs) after "lets you", anything else after "offers";
    adverbs first ("automatically opens") are looked past."""
    words = re.sub(r"[^\w\s,.']|'(?!\w)|(?<!\w)'", " ", gist(card.summary)).split()
    if not words:
        return ""
    # Plain capitalised words lower-cased ("Watches parts" -> "watches parts"): after the name, a capital
    # would make "Distill Web Monitor Watches" read as another add-on's name to the chat's name guard.
    words = [word.lower() if word[1:].islower() else word for word in words]
    head = next((word for word in words if not (word.endswith("ly") and len(word) > 4)), words[0]).strip(",.")
    if words[0].lower() in ARTICLES:
        words = ["is", words[0].lower(), *words[1:]]
    elif not (head.endswith("s") and not head.endswith(("ss", "us", "is")) and len(head) > 3):  # not "Blocks"
        words = ["lets", "you", *words] if head.lower() in verbs else ["offers", *words]
    return f"{card.name} {' '.join(_clipped(words)).rstrip(',.')}."


def _clipped(words: list[str]) -> list[str]:
    """At most MAX_WORDS words, as the grounded decoder ends a sentence, cut after a comma when one comes late
    enough: a short sentence is one a small model restates without a slip."""
    if len(words) <= MAX_WORDS:
        return words
    commas = [at for at, word in enumerate(words[:MAX_WORDS]) if word.endswith(",") and at + 1 > MIN_WORDS]
    kept = words[: commas[-1] + 1] if commas else words[:MAX_WORDS]
    while len(kept) > MIN_WORDS and kept[-1].lower().strip(",.") in STOP_WORDS:  # "...locally to" ends "locally"
        kept.pop()
    return kept


def _need_answer(cards: list[CardFact], verbs: Collection[str]) -> str:
    """One sentence per card, in the order shown, as the chat writes a recommendation."""
    return " ".join(filter(None, (card_sentence(card, verbs) for card in cards)))


def _neighbours(
    addon: Addon, by_category: dict[str, list[Addon]], everyone: list[Addon], rng: random.Random
) -> list[Addon]:
    """Cards retrieval might show next to it: add-ons of the same category first."""
    pool = [
        other for category in addon.categories.all() for other in by_category[category.slug] if other.slug != addon.slug
    ]
    pool = list({other.slug: other for other in pool}.values())
    if len(pool) < CARDS_PER_NEED - 1:
        pool += [other for other in everyone if other.slug != addon.slug and other not in pool]
    return rng.sample(pool, min(CARDS_PER_NEED - 1, len(pool)))


def _addon_examples(
    addon: Addon, by_category: dict[str, list[Addon]], everyone: list[Addon], verbs: Collection[str], rng: random.Random
) -> Iterable[Example]:
    name, group = addon.name, addon.slug
    for need in _needs(addon, rng):
        cards = [addon, *_neighbours(addon, by_category, everyone, rng)]
        rng.shuffle(cards)
        facts = [_facts(card) for card in cards]
        request = ReplyRequest(kind=ReplyKind.RECOMMEND, need=need, cards=tuple(facts))
        yield _example("need", group, request, _need_answer(facts, verbs), name)
    summary = _first_sentence(addon.summary_text)
    if summary:
        request = ReplyRequest(kind=ReplyKind.RECOMMEND, need=f"What does {name} do?", cards=(_facts(addon),))
        yield _example("about", group, request, card_sentence(_facts(addon), verbs), name)
    categories = [category.name for category in addon.categories.all()]
    if categories:
        listed = " and ".join(categories) if len(categories) <= 2 else ", ".join(categories)
        request = ReplyRequest(kind=ReplyKind.RECOMMEND, need=f"Which category is {name} in?", cards=(_facts(addon),))
        yield _example("category", group, request, f"{name} is in {listed}.", name)
    price = "Requires payment" if addon.requires_payment else "Free to install"
    answer = f"{name} requires payment." if addon.requires_payment else f"{name} is free to install."
    # The prompt shows a card's name, categories and summary only, so the price goes into the summary.
    priced = replace(_facts(addon), summary=f"{price}. {addon.summary_text}".strip())
    request = ReplyRequest(kind=ReplyKind.RECOMMEND, need=f"Is {name} free?", cards=(priced,))
    yield _example("price", group, request, answer, name)


def catalogue_examples(*, seed: int) -> list[Example]:
    rng = random.Random(seed)
    everyone = list(
        Addon.objects.filter(is_active=True).exclude(summary_text="").prefetch_related("categories").order_by("slug")
    )
    by_category: dict[str, list[Addon]] = defaultdict(list)
    for addon in everyone:
        for category in addon.categories.all():
            by_category[category.slug].append(addon)
    verbs = catalogue_verbs(text for addon in everyone for text in (addon.summary_text, addon.description_text))
    return [example for addon in everyone for example in _addon_examples(addon, by_category, everyone, verbs, rng)]


def _good_replies(conversation: Conversation) -> Iterable[Example]:
    """Replies the visitor liked: never one with a down-voted card or followed by "unsatisfied"."""
    messages = list(conversation.messages.all())
    need, asked = "", ""
    for position, message in enumerate(messages):
        if message.role == Message.Role.VISITOR:
            if message.kind == Message.Kind.MESSAGE:
                need = message.text
            asked = message.kind
            continue
        if message.kind != Message.Kind.REPLY or not message.text or not (message.cards or message.question):
            continue
        after = []
        for later in messages[position + 1 :]:
            if later.role == Message.Role.ASSISTANT and later.cards:
                break
            if later.kind == Message.Kind.FEEDBACK and later.feedback:
                after.append(later.feedback)
        shown = {card.get("slug") for card in message.cards}
        votes = {item.get("slug"): item.get("value") for item in after if item.get("slug") in shown}
        if "down" in votes.values() or any(item.get("value") == "unsatisfied" for item in after):
            continue
        satisfied = conversation.outcome == Conversation.Outcome.SATISFIED or any(
            item.get("value") == "satisfied" for item in after
        )
        liked = [card.get("name", "") for card in message.cards if votes.get(card.get("slug")) == "up"]
        if not (satisfied or liked) or not need:
            continue
        kind = (
            ReplyKind.QUESTION
            if message.question
            else ReplyKind.MORE
            if asked == Message.Kind.MORE
            else ReplyKind.RECOMMEND
        )
        request = ReplyRequest(
            kind=kind,
            need=need,
            cards=tuple(CardFact.from_card(card) for card in message.cards),
            question=(message.question or {}).get("text", ""),
        )
        yield _example(
            "conversation", f"conversation-{conversation.pk}", request, message.text, liked[0] if liked else ""
        )


def conversation_examples() -> list[Example]:
    conversations = Conversation.objects.prefetch_related("messages").order_by("pk")
    return [example for conversation in conversations for example in _good_replies(conversation)]


def in_validation(group: str, *, fraction: float, seed: int) -> bool:
    """A stable split by group: the same add-on or conversation always lands on the same side."""
    digest = hashlib.sha256(f"{seed}:{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def templated(example: Example, tokenizer) -> dict:
    """The example through the base model's chat template: the prompt, and the completion to learn."""
    prompt = tokenizer.apply_chat_template(list(example.messages[:-1]), add_generation_prompt=True, tokenize=False)
    full = tokenizer.apply_chat_template(list(example.messages), tokenize=False)
    if not full.startswith(prompt):
        raise ValueError("the chat template renders the conversation differently from its prompt")
    return {
        "source": example.source,
        "group": example.group,
        "need": example.need,
        "answer_name": example.answer_name,
        "cards": [asdict(card) for card in example.cards],
        "messages": list(example.messages),
        "prompt": prompt,
        "completion": full[len(prompt) :],
    }


def row_cards(row: dict) -> tuple[CardFact, ...]:
    """The cards a saved row's prompt showed."""
    return tuple(
        CardFact(**{**card, "categories": tuple(card["categories"]), "sites": tuple(card["sites"])})
        for card in row["cards"]
    )


def examples_for(sources: Iterable[str], *, seed: int) -> tuple[list[Example], dict[str, int]]:
    """The examples of the chosen sources whose answers the chat would let through, and how many were
    dropped by source because it would not."""
    builders = {"catalogue": lambda: catalogue_examples(seed=seed), "conversations": conversation_examples}
    names = addon_names()
    kept: list[Example] = []
    dropped: dict[str, int] = defaultdict(int)
    for source in sources:
        for example in builders[source]():
            if example.verified(names):
                kept.append(example)
            else:
                dropped[example.source] += 1
    return kept, dict(sorted(dropped.items()))


def training_set_write(
    *, examples: list[Example], tokenizer, directory: Path, fraction: float, seed: int
) -> DatasetFiles:
    """Split, template and save as train.jsonl and validation.jsonl; counts by split and source."""
    directory.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[dict]] = {"train": [], "validation": []}
    for example in examples:
        split = "validation" if in_validation(example.group, fraction=fraction, seed=seed) else "train"
        rows[split].append(templated(example, tokenizer))
    counts: dict = {split: len(items) for split, items in rows.items()}
    for split, items in rows.items():
        by_source: dict[str, int] = defaultdict(int)
        for item in items:
            by_source[item["source"]] += 1
        counts[f"{split}_by_source"] = dict(sorted(by_source.items()))
        with (directory / f"{split}.jsonl").open("w", encoding="utf-8") as file:
            file.writelines(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
    return DatasetFiles(train=directory / "train.jsonl", validation=directory / "validation.jsonl", counts=counts)


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]
