"""Everything stored from outside passes through here: safe HTML for display, plain text for search."""

from __future__ import annotations

import html
import re

import nh3

SAFE_TAGS = {"a", "b", "strong", "i", "em", "u", "p", "br", "ul", "ol", "li", "code", "pre", "blockquote"}
SAFE_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
_WHITESPACE = re.compile(r"\s+")
_BLOCK_TAG = re.compile(r"<\s*(br|/p|/li|/blockquote|/pre)\b[^>]*>", re.IGNORECASE)


def clean_html(value: str) -> str:
    """Keep simple formatting and links; drop scripts, event handlers, styles and unknown tags."""
    if not value:
        return ""
    return nh3.clean(
        value,
        tags=SAFE_TAGS,
        attributes=SAFE_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    ).strip()


def html_to_text(value: str) -> str:
    """Plain text with entities decoded and whitespace folded; safe to show as text anywhere."""
    if not value:
        return ""
    spaced = _BLOCK_TAG.sub(" ", value)
    stripped = nh3.clean(spaced, tags=set(), attributes={})
    return _WHITESPACE.sub(" ", html.unescape(stripped)).strip()


def clean_url(value: str) -> str:
    """Only http(s) URLs survive; anything else (javascript:, data:) becomes empty."""
    value = (value or "").strip()
    return value if value.lower().startswith(("http://", "https://")) else ""
