"""Grounded decoding: the model writes one sentence per card, each opening with the card's name, in words
taken from that card and from the visitor's message.

A small model left alone invents features ("uses SSL encryption"); checking its sentences afterwards
means holding each back until it is complete, so nothing streams. Here the tokens it may choose are
limited as it writes them (transformers' `prefix_allowed_tokens_fn`): every word must be one the claim
verifier accepts for the card the sentence is about (chatbot.llm.verifier: a word of that card's facts
or of the visitor's, or an inflection of one, a function word, a framing word), written as the facts
write it, a sentence ends only after a few words, and the next card's name is written for it. So each
token can go to the visitor as soon as it is generated, and every sentence still passes the verifier.
The model chooses the words and their order; the constraint only removes what it could not justify.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from chatbot.llm.base import ReplyRequest
from chatbot.llm.verifier import CLAIM_FREE_WORDS, Facts
from retrieval.text import stem

WORD_CHARS = re.compile(r"[A-Za-z0-9']+")
PARTIAL = re.compile(r"[A-Za-z0-9']+$")
PAUSE, STOP = ",", "."
MIN_WORDS = 3  # words a sentence says about its card before it may end
MAX_SENTENCES = 3  # one per card, for at most this many cards
MAX_WORDS = 16  # after this many it must end
MAX_REPEATS = 2  # a word written this often in a sentence is not written again ("really really really")
ENDING_TOKENS = 3  # this close to the token budget, the sentence ends, rather than be cut off mid-word
# English words of the claim-free vocabulary that would make a false claim about what an add-on is ("X is a browser").
NOT_SAID_OF_ADDONS = frozenset({"browser", "firefox"})
DECODER_CLAIM_FREE = CLAIM_FREE_WORDS - NOT_SAID_OF_ADDONS


@dataclass(frozen=True)
class TokenTable:
    """A tokenizer's vocabulary by what each token writes: word starts (" Dark"), word pieces ("ness"),
    the comma and the full stop."""

    texts: list[str]
    starts: dict[str, list[int]]
    pieces: dict[str, list[int]]
    pauses: list[int]
    stops: list[int]
    eos: int


@lru_cache(maxsize=4)
def token_table(tokenizer) -> TokenTable:
    texts = [tokenizer.decode([token_id]) for token_id in range(len(tokenizer))]
    starts: dict[str, list[int]] = {}
    pieces: dict[str, list[int]] = {}
    pauses: list[int] = []
    stops: list[int] = []
    for token_id, text in enumerate(texts):
        if text.startswith(" ") and WORD_CHARS.fullmatch(text[1:]):
            starts.setdefault(text[1:], []).append(token_id)
        elif WORD_CHARS.fullmatch(text):
            pieces.setdefault(text, []).append(token_id)
        elif text == PAUSE:
            pauses.append(token_id)
        elif text == STOP:
            stops.append(token_id)
    return TokenTable(texts, starts, pieces, pauses, stops, tokenizer.eos_token_id)


def written_forms(facts: Facts) -> list[str]:
    """The words a sentence grounded in `facts` may write, sorted: each fact word as written and in lower
    case, with its plural or singular when the verifier reads it as the same word; and the English words
    that claim nothing. Sentences open with a card's name, so no other word needs a capital."""
    forms = set(DECODER_CLAIM_FREE)
    for form in facts.forms:
        lower = form.lower()
        forms |= {form, lower}
        if lower not in DECODER_CLAIM_FREE:
            forms |= {variant for variant in _number_forms(lower) if stem(variant) == stem(lower)}
    return sorted(form for form in forms if WORD_CHARS.fullmatch(form))


def _number_forms(word: str) -> set[str]:
    """The other grammatical number of a word: "tab" and "tabs", "story" and "stories", "blocks", "block"."""
    if not word.isalpha() or len(word) < 4:
        return set()
    if word.endswith("ies"):
        return {word[:-3] + "y"}
    if word.endswith("s"):
        return {word[:-1], word[:-2]} if word.endswith(("ses", "xes", "ches", "shes")) else {word[:-1]}
    if word.endswith("y") and word[-2] not in "aeiou":
        return {word[:-1] + "ies"}
    return {word + "es"} if word.endswith(("s", "x", "ch", "sh")) else {word + "s"}


class Vocabulary:
    """The forms one sentence may write, and which tokens extend a word being written into one of them."""

    def __init__(self, forms: list[str], table: TokenTable) -> None:
        self.forms = forms
        self.complete = frozenset(forms)
        self.table = table
        self.starts = sorted({token for prefix in self._prefixes("") for token in table.starts.get(prefix, ())})

    def _prefixes(self, partial: str) -> list[str]:
        """Prefixes of the forms that extend `partial`, whole forms included."""
        found: set[str] = set()
        for form in self.forms[bisect.bisect_left(self.forms, partial) :]:
            if not form.startswith(partial):
                break
            found.update(form[:size] for size in range(len(partial) + 1, len(form) + 1))
        return sorted(found)

    def continuations(self, partial: str) -> list[int]:
        return [
            token for prefix in self._prefixes(partial) for token in self.table.pieces.get(prefix[len(partial) :], ())
        ]


@dataclass
class _Row:
    text: str = ""  # what the model wrote so far
    seen: int = 0  # generated tokens already read into `text`
    forced: list[int] = field(default_factory=list)  # a card's name, being written
    card: int = -1  # the card the current sentence is about
    name_words: int = 0  # words of that card's name, which opens the sentence


class GroundedReply:
    """transformers' prefix_allowed_tokens_fn for one reply; each batch row writes its own."""

    @classmethod
    def for_request(cls, tokenizer, request: ReplyRequest, *, prompt_length: int, budget: int) -> GroundedReply:
        """A sentence for each of the request's cards, in their order, grounded in that card and the visitor,
        within `budget` new tokens."""
        visitor = f"{request.need} {request.said}"
        return cls(
            tokenizer,
            cards=[(card.name, Facts.of([card], visitor)) for card in request.cards[:MAX_SENTENCES]],
            prompt_length=prompt_length,
            budget=budget,
        )

    def __init__(
        self, tokenizer, *, cards: Sequence[tuple[str, Facts]], prompt_length: int, budget: int = 1_000
    ) -> None:
        table = token_table(tokenizer)
        self.table = table
        self.prompt_length = prompt_length
        self.budget = budget
        self.names = [
            tokenizer.encode(name if index == 0 else " " + name, add_special_tokens=False)
            for index, (name, _) in enumerate(cards)
        ]
        self.name_words = [len(WORD_CHARS.findall(name)) for name, _ in cards]
        self.vocabularies = [Vocabulary(written_forms(facts), table) for _, facts in cards]
        self.rows: dict[int, _Row] = {}

    def __call__(self, batch_id: int, input_ids) -> list[int]:
        row = self.rows.setdefault(batch_id, _Row())
        generated = input_ids[self.prompt_length :].tolist()
        row.text += "".join(self.table.texts[token] for token in generated[row.seen :])
        row.seen = len(generated)
        if row.forced:
            return [row.forced.pop(0)]
        if not row.text or row.text.endswith(STOP):
            row.card += 1
            if row.card >= len(self.names) or row.seen + len(self.names[row.card]) + MIN_WORDS >= self.budget:
                return [self.table.eos]
            row.forced, row.name_words = list(self.names[row.card]), self.name_words[row.card]
            return [row.forced.pop(0)]
        return self._next(row)

    def _next(self, row: _Row) -> list[int]:
        vocabulary = self.vocabularies[row.card]
        match = PARTIAL.search(row.text)
        partial = match.group() if match else ""
        sentence = WORD_CHARS.findall(row.text[row.text.rfind(STOP) + 1 :])
        said = len(sentence) - row.name_words
        ending = row.seen >= self.budget - ENDING_TOKENS
        allowed = vocabulary.continuations(partial) if partial and not ending else []
        if not partial or partial in vocabulary.complete or said <= 0:  # a word may end here
            if said < MAX_WORDS and not ending:
                allowed += self._starts(vocabulary, sentence[row.name_words :])
                if partial and said > 0:
                    allowed += self.table.pauses
            if partial and (said >= MIN_WORDS or ending):
                allowed += self.table.stops
        return allowed or self.table.stops

    def _starts(self, vocabulary: Vocabulary, said: list[str]) -> list[int]:
        """The words that may come next: not the one just written, nor one written MAX_REPEATS times."""
        lowered = [word.lower() for word in said]
        tired = {word for word in lowered if lowered.count(word) >= MAX_REPEATS} | set(lowered[-1:])
        if not tired:
            return vocabulary.starts
        banned = {
            token for word in tired for form in (word, word.capitalize()) for token in self.table.starts.get(form, ())
        }
        return [token for token in vocabulary.starts if token not in banned]
