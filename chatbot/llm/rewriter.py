"""The language model's half of the history-aware query: it merges a follow-up with the search so far.

The dialogue policy asks through `query_rewriter()`; whatever the model writes is checked there
(chatbot.dialogue.rewrite) and the deterministic rule answers whenever the model is off, busy, slow
(LLM_REWRITE_TIMEOUT) or writes something that is not a faithful query.
"""

from __future__ import annotations

from django.conf import settings

from chatbot.dialogue.rewrite import LLMRewrite
from chatbot.llm.base import GenerationParams, ReplyRequest
from chatbot.llm.runner import complete

REWRITE_TOKENS = 24  # a query is a few words; a longer answer is rambling and gets rejected anyway


def llm_rewrite(previous_query: str, message: str) -> str | None:
    """The model's standalone query (its first line), or None when it gave none in time."""
    request = ReplyRequest(kind="rewrite", need=previous_query, cards=(), message=message)
    params = GenerationParams.from_settings().tuned(temperature=0, max_new_tokens=REWRITE_TOKENS)
    text = complete(request, params, timeout=settings.LLM_REWRITE_TIMEOUT)
    if not text:
        return None
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line.strip().strip("\"'“”").removeprefix("Query:").strip() or None


def query_rewriter() -> LLMRewrite | None:
    """The rewriter the policy should use: none with the template backend or with LLM_REWRITE off."""
    if not settings.LLM_REWRITE or settings.LLM_BACKEND == "template":
        return None
    return llm_rewrite
