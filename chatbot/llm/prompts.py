"""The chat messages a model sees: a short system rule, then the visitor's need and the cards' facts.

Only the cards' own facts go in, so the model has no other add-on to talk about. The user message is
written in the visitor's voice, which a small instruct model follows far better than a task sheet, and
it stays short because a model on CPU pays for every prompt token before it writes the first word.
"""

from __future__ import annotations

from chatbot.llm.base import CardFact, ReplyRequest

SYSTEM_PROMPT = (
    "You are the Add-on Concierge of a Firefox add-on store. For each add-on listed, write one short "
    "sentence that starts with its exact name and says what it does, in the words of its description. "
    "Never invent add-ons, features, links or numbers."
)
TASKS = {
    "recommend": "Tell me briefly what each one does for me.",
    "more": "I asked for more options. Tell me briefly what each one does for me.",
    "question": "Before recommending, you will ask me: {question}\n"
    "Write one short sentence leading in to that question, without asking it.",
    "thanks": "I'm happy with your suggestions. Reply with one warm sentence.",
    "empty": "You found no add-on for this. Apologise in one sentence and ask me to rephrase.",
}
# One worked exchange (invented, not from the catalogue) shows a 135M model the length and the grounding
# far better than instructions alone: measured, it stops rambling about products it made up.
EXAMPLE = (
    "I need: a calculator\nAdd-ons you found for me:\n- Quick Calc: a calculator in your toolbar\n"
    "- Math Helper: solves equations step by step\nTell me briefly what each one does for me.",
    "Quick Calc is a calculator in your toolbar. Math Helper solves equations for you step by step.",
)
SUMMARY_CHARS = 100  # the gist of a listing summary; every prompt token costs time before the first word


def _clipped(text: str, limit: int) -> str:
    text = " ".join(text.split()).rstrip(". ")
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def card_line(card: CardFact) -> str:
    """Name, shelf and gist: ratings and user counts tempted the model into inventing numbers."""
    shelf = f" ({', '.join(card.categories)})" if card.categories else ""
    summary = f": {_clipped(card.summary, SUMMARY_CHARS)}" if card.summary else ""
    return f"- {card.name}{shelf}{summary}"


REWRITE_PROMPT = (
    "You turn a shopper's latest message into one short search query for a Firefox add-on store. "
    "Keep what they still want from the search so far and add what the message asks. Reply with the query only."
)
# Worked examples (not from any evaluation set) teach a small model the format far better than rules do.
REWRITE_EXAMPLES = (
    ("dark theme for wikipedia", "what about reddit instead?", "dark theme for reddit"),
    ("block pop-ups", "one that also stops trackers", "block pop-ups and trackers"),
    ("download videos", "I need a grammar checker for emails", "grammar checker for emails"),
)


def _rewrite_turn(need: str, message: str) -> str:
    return f"Search so far: {need}\nLatest message: {message}"


def rewrite_messages(request: ReplyRequest) -> list[dict[str, str]]:
    """Few-shot chat: the search so far and the latest message in, a standalone query out."""
    messages = [{"role": "system", "content": REWRITE_PROMPT}]
    for need, message, query in REWRITE_EXAMPLES:
        messages += [{"role": "user", "content": _rewrite_turn(need, message)}, {"role": "assistant", "content": query}]
    return messages + [{"role": "user", "content": _rewrite_turn(request.need, request.message)}]


def build_messages(request: ReplyRequest) -> list[dict[str, str]]:
    """System and user messages for the tokenizer's chat template or a chat-completions endpoint."""
    if request.kind == "rewrite":
        return rewrite_messages(request)
    lines = [f"I need: {request.need}"] if request.need else []
    if request.cards:
        lines += ["Add-ons you found for me:", *(card_line(card) for card in request.cards)]
    lines.append(TASKS[request.kind].format(question=request.question))
    example = [{"role": "user", "content": EXAMPLE[0]}, {"role": "assistant", "content": EXAMPLE[1]}]
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        *(example if request.cards else []),
        {"role": "user", "content": "\n".join(lines)},
    ]
