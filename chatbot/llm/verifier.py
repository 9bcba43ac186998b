"""Claims a reply may make: every content word and number of a sentence must come from the cards shown
or from the visitor's own words.

The name guard (chatbot.llm.guard) keeps other add-ons out; this keeps invented features out ("uses SSL
encryption", "without external devices like TVs"). A word is supported when its stem is among the stems
of the facts (name, summary, categories, sites, price, rating, users) or of the need; function words and
a few words that frame a suggestion without claiming anything ("suits", "try", "both") need no support.
Numbers must appear among the facts' numbers. The grounded decoder (chatbot.llm.constrained) draws its
vocabulary from the same Facts, so what it writes passes here by construction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chatbot.llm.base import CardFact
from chatbot.llm.template import template_wordings
from retrieval.text import STOP_WORDS, fold, stem

WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+(?:[.,]\d+)*")
FORM = re.compile(r"[A-Za-z0-9']+")


def _words(text: str) -> list[str]:
    return WORD.findall(fold(text).replace("\u2019", "'"))


# Words that present a suggestion without saying anything about an add-on: a few of our own (what the
# grounded decoder may write besides the facts), and those of the fixed wordings replies are built from,
# in every language replies are written in.
FRAMING = frozenset(
    """suit suits suited fit fits fitting try pick picks choice choices option options recommend recommended
    suggest suggestion suggestions worth look good great handy useful nice both either whereas while here
    there one ones which may might could would can will you your yours it its they them their this that these
    those plus instead rather well so too very just like need needs want wants looking rated rating ratings
    star stars users people work works offer offers let lets""".split()
)
CLAIM_FREE_WORDS = STOP_WORDS | FRAMING
CLAIM_FREE = frozenset(
    stem(word) for word in CLAIM_FREE_WORDS | {word for wording in template_wordings() for word in _words(wording)}
)


def _number(text: str) -> str:
    return text.replace(",", "")


@dataclass(frozen=True)
class Facts:
    """What the cards and the visitor said, as the words and numbers a reply may use."""

    words: frozenset[str]
    stems: frozenset[str]
    numbers: frozenset[str]
    forms: frozenset[str] = frozenset()  # the words as written ("YouTube", "RSS"), for the grounded decoder

    @classmethod
    def of(cls, cards: Sequence[CardFact], need: str = "") -> Facts:
        return cls.from_texts([need, *(text for card in cards for text in card_texts(card))])

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Facts:
        texts = list(texts)
        words = [word for text in texts for word in _words(text)]
        return cls(
            words=frozenset(words),
            stems=frozenset(stem(word) for word in words if not word[0].isdigit()),
            numbers=frozenset(_number(word) for word in words if word[0].isdigit()),
            forms=frozenset(form for text in texts for form in FORM.findall(text)),
        )

    def supports(self, word: str) -> bool:
        """Whether one word of a reply is grounded: a fact's word, number or stem, or a word without a claim."""
        if word[0].isdigit():
            return _number(word) in self.numbers
        return word in self.words or stem(word) in CLAIM_FREE or stem(word) in self.stems


def card_texts(card: CardFact) -> list[str]:
    """Everything a card states, as text: its name, summary, shelves, sites, price, rating and users."""
    texts = [card.name, card.summary, *card.categories, *card.sites]
    if card.free is not None:
        texts.append("free" if card.free else "paid payment")
    if card.rating is not None:
        texts.append(f"{card.rating:.1f} {card.rating:g}")
    if card.users:
        texts.append(f"{card.users} {card.users:,}")
    return texts


def unsupported(sentence: str, facts: Facts) -> list[str]:
    """The words and numbers of a sentence that neither the cards nor the visitor said. A fact's word written
    as two ("open PGP" for "OpenPGP", "web site") is that word: the spacing claims nothing."""
    words = _words(sentence)
    halves = {
        at + side
        for at in range(len(words) - 1)
        if words[at].isalpha() and words[at + 1].isalpha() and words[at] + words[at + 1] in facts.words
        for side in (0, 1)
    }
    return [word for at, word in enumerate(words) if at not in halves and not facts.supports(word)]
