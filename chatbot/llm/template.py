"""Replies without a model: deterministic, instant, and naming nothing but the cards.

This is the fallback whenever a model is busy, down, slow or ungrounded, and the whole reply writer
when LLM_BACKEND is "template".
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Generator

from chatbot.dialogue.decision import ReplyKind
from chatbot.llm.base import CardFact, GenerationParams, LLMBackend, ReplyRequest

COUNT_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}
WORD = re.compile(r"\S+\s*")

WORDINGS = {
    "recommend": (
        "Here {are} {count} {addons}{for_need}: {items}.",
        "{Count} {addons} that should fit{for_need}: {items}.",
        "I found {count} {addons}{for_need}: {items}.",
    ),
    "more": (
        "Here {are} {count} more {addons}{for_need}: {items}.",
        "A few more ideas{for_need}: {items}.",
        "{Count} more {addons} worth a look{for_need}: {items}.",
    ),
    "question": (
        "To find the best match{for_need}, one quick question.",
        "Let me ask one thing so I can pick better{for_need}.",
        "One quick question to narrow it down{for_need}.",
    ),
    "thanks": (
        "Glad I could help, enjoy your new add-ons!",
        "You're welcome, happy browsing!",
        "Great, happy to help. Enjoy!",
    ),
    "empty": (
        "Sorry, I couldn't find an add-on{for_need}. Could you describe it in other words?",
        "I'm sorry, nothing in the catalogue matches{the_need} yet. Could you rephrase what you need?",
        "Sorry, I have no add-on{for_need} yet. Maybe try different words or a broader request?",
    ),
}


def _item(card: CardFact) -> str:
    reason = card.reason.strip().rstrip(".")
    return f"{card.name} ({reason[:1].lower()}{reason[1:]})" if reason else card.name


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def template_reply(request: ReplyRequest) -> str:
    """The reply text; the wording varies with the need and the turn, so repeated turns read less canned."""
    kind = request.kind if request.cards or request.kind in (ReplyKind.QUESTION, ReplyKind.THANKS) else ReplyKind.EMPTY
    wordings = WORDINGS[kind]
    wording = wordings[(zlib.crc32(request.need.encode()) + len(request.history)) % len(wordings)]
    count = len(request.cards)
    count_word = COUNT_WORDS.get(count, str(count))
    return wording.format(
        are="is" if count == 1 else "are",
        count=count_word,
        Count=count_word.capitalize(),
        addons="add-on" if count == 1 else "add-ons",
        for_need=f" for “{request.need}”" if request.need else "",
        the_need=f" “{request.need}”" if request.need else "",
        items=_listing([_item(card) for card in request.cards]) if request.cards else "",
    )


class TemplateBackend(LLMBackend):
    name = "template"

    def stream(self, request: ReplyRequest, params: GenerationParams) -> Generator[str, None, None]:
        yield from WORD.findall(template_reply(request))
