"""Whether a listing's licence is an open-source one: a catalogue fact the cards and the dialogue share."""

from __future__ import annotations

import re

OPEN_SOURCE_LICENSE = re.compile(
    r"\b(?:mit|[al]?gpl|mpl|apache|bsd|isc|unlicen[cs]e|cc0|zlib|eupl|osl|wtfpl|public domain|"
    r"(?:general|mozilla) public licen[cs]e|artistic licen[cs]e|open source|free software)\b"
)


def is_open_source(license_name: str) -> bool:
    return bool(OPEN_SOURCE_LICENSE.search(license_name.lower()))
