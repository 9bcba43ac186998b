"""Properties of widget.js that hold on any host page, checked without a browser."""

from __future__ import annotations

import re

from tests.browser.conftest import REPO

WIDGET = REPO / "static" / "chatbot" / "widget.js"


def test_widget_is_ascii_so_any_host_page_charset_decodes_it():
    WIDGET.read_bytes().decode("ascii")


def test_widget_never_parses_markup():
    source = WIDGET.read_text()
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function", source)
