"""A conversation as staff read it in admin: turn by turn, who said what, the cards shown (with the visitor's
votes on them), the question asked and its options, and how it ended; timings in small print."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from chatbot.models import Conversation, Message

VOTES = {"up": "👍 voted up", "down": "👎 voted down"}
VERDICTS = {"satisfied": "“That's it!”", "unsatisfied": "“Not what I need”"}


def _votes(messages: list[Message]) -> dict[str, str]:
    """The last vote the visitor gave each card."""
    return {
        message.feedback["slug"]: message.feedback.get("value", "")
        for message in messages
        if message.feedback and "slug" in message.feedback
    }


def _visitor(message: Message) -> SafeString:
    if message.kind == Message.Kind.FEEDBACK and message.feedback:
        value = message.feedback.get("value", "")
        said = VOTES.get(value, "") + f" {message.feedback['slug']}" if "slug" in message.feedback else ""
        return format_html("<em>{}</em>", said.strip() or VERDICTS.get(value, value))
    if message.kind == Message.Kind.ANSWER:
        return format_html("<em>picked</em> {}", message.text)
    if message.kind in (Message.Kind.MORE, Message.Kind.RESET):
        return format_html("<em>{}</em>", message.get_kind_display())
    return format_html("{}", message.text)


def _cards(message: Message, votes: dict[str, str]) -> SafeString:
    rows = (
        (
            card.get("name") or card.get("slug", "?"),
            card.get("slug", ""),
            VOTES.get(votes.get(card.get("slug", ""), ""), ""),
        )
        for card in message.cards
    )
    return format_html("<ol>{}</ol>", format_html_join("", "<li>{} <small>({})</small> {}</li>", rows))


def _assistant(message: Message, votes: dict[str, str]) -> SafeString:
    parts = [format_html("{}", message.text or "—")]
    if message.cards:
        parts.append(_cards(message, votes))
    if message.question:
        options = ", ".join(option.get("label", "") for option in message.question.get("options", []))
        parts.append(
            format_html(
                "<p><strong>Asked:</strong> {} <small>({})</small></p>", message.question.get("text", ""), options
            )
        )
    timings = {"first card": message.first_card_ms, "first token": message.first_token_ms, "turn": message.total_ms}
    timing = [f"{name} {value} ms" for name, value in timings.items() if value is not None]
    if timing:
        parts.append(format_html("<p><small>{}</small></p>", " · ".join(timing)))
    return format_html_join("", "{}", ((part,) for part in parts))


def transcript_html(conversation: Conversation) -> SafeString:
    messages = list(conversation.messages.order_by("turn", "id"))
    if not messages:
        return format_html("<p>No messages: the visitor connected and left.</p>")
    votes = _votes(messages)
    rows = (
        (
            message.turn,
            "Visitor" if message.role == Message.Role.VISITOR else "Assistant",
            _visitor(message) if message.role == Message.Role.VISITOR else _assistant(message, votes),
        )
        for message in messages
    )
    body = format_html_join("", "<tr><td>{}</td><th>{}</th><td>{}</td></tr>", rows)
    return format_html(
        "<table><thead><tr><th>Turn</th><th>Who</th><th>What</th></tr></thead><tbody>{}</tbody></table>"
        "<p><strong>Outcome:</strong> {}</p>",
        body,
        conversation.get_outcome_display(),
    )
