"""Keeps a model's reply to the cards: a sentence naming another add-on, or claiming what neither the
cards nor the visitor said, is dropped.

Claims are checked by chatbot.llm.verifier (every content word and number from the facts). Names by
three checks, on whole words: a catalogue add-on that is not a card, unless the sentence names a card whose
summary names it ("Violentmonkey runs most Greasemonkey scripts" states a fact of that card); a phrase
written like a name (quoted, **bold**, capitalised before "extension"/"add-on", a run of capitalised words,
a CamelCase word) that is neither a card nor taken from the facts the model was given; and any link, since
links come with the cards. The guard works sentence by sentence so a streamed reply can go out as soon as
each sentence is known to be safe. It needs no database: the caller passes the catalogue's names.
With `require_card`, sentences are held back until one names a card, and dropped if none ever does:
a recommendation that talks about none of the cards is not about them. After MAX_HELD such sentences
the reply is `off_topic`, so the caller can stop generating and fall back at once.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache

from chatbot.llm.base import CardFact
from chatbot.llm.verifier import Facts, unsupported
from chatbot.llm.words import COMMON_WORDS

MIN_NAME_CHARS = 4
SQUASHED_MIN_CHARS = 8  # "AdBlock Plus" written "Ad Block Plus"; shorter names would match inside words
MAX_HELD = 2
WORD = re.compile(r"\w+")
SENTENCE_END = re.compile(r"[.!?…]+[\"”’)\]*_]*\s+|\n+")
NAME_WORD = r"(?:[A-Z]|[a-z]+[A-Z])[\w'’+-]*"  # "Ghostery", "AdSense", "uBlock"
NAME_LIKE = re.compile(
    r"“([^”\n]{2,80})”|\"([^\"\n]{2,80})\"|\*\*([^*\n]{2,80})\*\*|__([^_\n]{2,80})__"
    rf"|((?:(?:{NAME_WORD}|[0-9]+)\s+){{1,6}})(?:[Ee]xtension|[Aa]dd-?on|[Pp]lug-?in)s?\b"
)
CAPITALISED_RUN = re.compile(rf"(?<![\w'’]){NAME_WORD}(?:[ \t]+(?:&[ \t]+)?(?:{NAME_WORD}|[0-9]+\b))*")
INNER_CAPITAL = re.compile(r"[a-z][A-Z]")  # CamelCase, not an acronym like "QR"
FIRST_WORD = re.compile(r"[^\W\d_]")
LINK = re.compile(r"\b(?:https?://|www\.)\S+")


def words(text: str) -> list[str]:
    return WORD.findall(text)


def folded(text: str) -> list[str]:
    return [word.casefold() for word in WORD.findall(text)]


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    size = len(needle)
    return any(list(haystack[start : start + size]) == list(needle) for start in range(len(haystack) - size + 1))


@dataclass(frozen=True)
class _Name:
    """A catalogue name to look for; names made only of everyday words must match their capitalisation."""

    folded: tuple[str, ...]
    exact: tuple[str, ...] | None


@lru_cache(maxsize=4)
def _distinctive_names(names: tuple[str, ...]) -> tuple[_Name, ...]:
    """The catalogue's names worth looking for, folded once per catalogue rather than once per reply (the
    training dataset guards a thousand replies against the same names)."""
    known = []
    for name in names:
        key = tuple(folded(name))
        if not key or len("".join(key)) < MIN_NAME_CHARS:
            continue
        everyday = all(word in COMMON_WORDS for word in key)
        if not (everyday and len(key) == 1):
            known.append(_Name(key, tuple(words(name)) if everyday else None))
    return tuple(known)


def _catalogue_index(names: Collection[str], card_names: set[tuple[str, ...]]) -> dict[str, list[_Name]]:
    index: dict[str, list[_Name]] = {}
    for name in _distinctive_names(tuple(names)):
        if name.folded not in card_names:
            index.setdefault(name.folded[0], []).append(name)
    return index


class ReplyGuard:
    def __init__(
        self,
        cards: Sequence[CardFact],
        catalogue_names: Collection[str],
        *,
        need: str = "",
        require_card: bool = False,
    ) -> None:
        self._cards = [tuple(folded(card.name)) for card in cards if folded(card.name)]
        self._catalogue = _catalogue_index(catalogue_names, set(self._cards))
        on_cards = ["".join(card) for card in self._cards]
        self._squashed = {  # distinctive multi-word names, spaced any way, that no card name contains
            key: " ".join(name.folded)
            for names in self._catalogue.values()
            for name in names
            if name.exact is None
            and len(name.folded) > 1
            and len(key := "".join(name.folded)) >= SQUASHED_MIN_CHARS
            and not any(key in card for card in on_cards)
        }
        facts = [need] + [f"{card.summary} {' '.join(card.categories)} {card.reason}" for card in cards]
        self._grounded = [folded(text) for text in facts]
        self._facts = Facts.of(cards, need)
        self._summaries_by_name = {"".join(folded(card.name)): folded(card.summary) for card in cards if card.name}
        self._facts_by_name = {"".join(folded(card.name)): Facts.of([card], need) for card in cards if card.name}
        self._name_patterns = [  # a card's name written with any spacing or case: "Youtube Non Stop"
            re.compile(r"\s*".join(map(re.escape, name)), re.IGNORECASE) for name in self._facts_by_name
        ]
        self._misses = 0
        self.kept: list[str] = []  # every sentence passed so far
        self._buffer = ""
        self._held: list[str] = []
        self._card_named = not require_card
        self.off_topic = False
        self.dropped = 0

    @property
    def corrected(self) -> bool:
        return self.dropped > 0

    def feed(self, piece: str) -> list[str]:
        """The sentences completed by this piece that are safe to send."""
        self._buffer += piece
        safe = []
        while match := SENTENCE_END.search(self._buffer):
            sentence, self._buffer = self._buffer[: match.end()], self._buffer[match.end() :]
            safe += self._checked(sentence)
        return safe

    def finish(self) -> list[str]:
        """The last, unterminated sentence, if it is safe."""
        rest, self._buffer = self._buffer, ""
        safe = self._checked(rest) if rest else []
        self._drop_held()
        return safe

    def discard(self) -> None:
        """Drop the unfinished sentence (the reply was cut short); it counts as a correction."""
        rest, self._buffer = self._buffer, ""
        self.dropped += bool(rest.strip())
        self._drop_held()

    def violations(self, text: str) -> list[str]:
        """The add-on names (and links) in `text` that do not come from the cards, sentence by sentence."""
        return [name for sentence in SENTENCE_END.split(text) for name in self._sentence_violations(sentence)]

    def _sentence_violations(self, sentence: str) -> list[str]:
        name_like = self._name_like(sentence) + self._capitalised(sentence)
        quoted = self._quoted_by_named_cards(sentence)
        return (
            [name for name in self._catalogue_names_in(sentence) if not _contains(quoted, folded(name))]
            + [phrase for phrase in name_like if self._foreign(phrase)]
            + LINK.findall(sentence)
        )

    def _quoted_by_named_cards(self, sentence: str) -> list[str]:
        """The summary words of the cards this sentence names: another add-on's name among them is that card's
        own fact ("compatible with Greasemonkey scripts", "a fork of Decentraleyes"), not a recommendation."""
        squashed = "".join(folded(sentence))
        return [word for name, summary in self._summaries_by_name.items() if name in squashed for word in summary]

    def _checked(self, sentence: str) -> list[str]:
        passed = self._passed(sentence)
        self.kept += [text for text in passed if text.strip()]
        return passed

    def _passed(self, sentence: str) -> list[str]:
        if self.off_topic or self.violations(sentence) or self.claims(sentence):
            self.dropped += 1
            self._missed()
            return []
        if not self._card_named:
            self._held.append(sentence)
            if not self._names_a_card(sentence):
                self._missed()
                return []
            self._card_named = True
            released, self._held = self._held, []
            return released
        return [sentence]

    def _missed(self) -> None:
        """One more sentence before any named a card; after MAX_HELD the reply is off topic."""
        if self._card_named or self.off_topic:
            return
        self._misses += 1
        if self._misses >= MAX_HELD:
            self.off_topic = True
            self._drop_held()

    def claims(self, sentence: str) -> list[str]:
        """What the sentence says that its facts do not (chatbot.llm.verifier): the facts of the one card
        it names, else of all the cards; the cards' names themselves, however spaced, are not claims."""
        squashed = "".join(folded(sentence))
        named = [facts for name, facts in self._facts_by_name.items() if name in squashed]
        return unsupported(self._without_card_names(sentence), named[0] if len(named) == 1 else self._facts)

    def _without_card_names(self, sentence: str) -> str:
        for pattern in self._name_patterns:
            sentence = pattern.sub(" ", sentence)
        return sentence

    def _names_a_card(self, sentence: str) -> bool:
        """Whether the sentence names a card, however it spaces the name ("One tab" for "OneTab")."""
        squashed = "".join(folded(sentence))
        return any("".join(card) in squashed for card in self._cards)

    def _drop_held(self) -> None:
        self.dropped += sum(1 for sentence in self._held if sentence.strip())
        self._held = []

    def _catalogue_names_in(self, text: str) -> list[str]:
        original = words(text)
        lowered = [word.casefold() for word in original]
        on_card = [False] * len(lowered)
        for card in self._cards:
            for start in range(len(lowered) - len(card) + 1):
                if lowered[start : start + len(card)] == list(card):
                    on_card[start : start + len(card)] = [True] * len(card)
        found = []
        for start, word in enumerate(lowered):
            for name in self._catalogue.get(word, ()):
                end = start + len(name.folded)
                if (
                    tuple(lowered[start:end]) == name.folded
                    and not all(on_card[start:end])
                    and (name.exact is None or tuple(original[start:end]) == name.exact)
                ):
                    found.append(" ".join(original[start:end]))
        squashed, seen = "".join(lowered), {" ".join(folded(name)) for name in found}
        return found + [name for key, name in self._squashed.items() if key in squashed and name not in seen]

    @staticmethod
    def _name_like(text: str) -> list[str]:
        return [next(group for group in match.groups() if group).strip() for match in NAME_LIKE.finditer(text)]

    @staticmethod
    def _capitalised(text: str) -> list[str]:
        """Runs of two or more capitalised words, and CamelCase words, after the sentence's first word."""
        first = FIRST_WORD.search(text)
        runs = []
        for match in CAPITALISED_RUN.finditer(text):
            run = match.group().split()
            if first and match.start() == first.start():
                run = run[1:]
            if len(run) > 1 or any(INNER_CAPITAL.search(word) for word in run):
                runs.append(" ".join(run))
        return runs

    def _foreign(self, phrase: str) -> bool:
        """Whether a name-like phrase is neither a card nor words the model was given."""
        lowered = folded(phrase)
        core = lowered
        while core and core[0] in COMMON_WORDS:
            core = core[1:]
        if not core:
            return False
        squashed, core_squashed = "".join(lowered), "".join(core)
        if any(
            _contains(card, core)
            or _contains(lowered, card)
            or "".join(card) in squashed
            or core_squashed in "".join(card)
            for card in self._cards
        ):
            return False
        if len(core) == 1 and any(core_squashed in word for facts in self._grounded for word in facts):
            return False  # a piece of a word it was given, miswritten: "open pGP" for "OpenPGP"
        return not any(_contains(facts, core) for facts in self._grounded)
