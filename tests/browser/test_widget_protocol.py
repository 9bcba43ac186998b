"""The widget's side of the protocol against a scripted server: streaming, errors, reconnect and resume.

The page's WebSocket is replaced by a fake the test drives frame by frame, so situations that are hard
to provoke on a real server (a dropped connection mid-conversation, an error frame) are exact.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_widget import Widget

pytestmark = pytest.mark.slow

FAKE_SOCKET = """
window.__sockets = [];
window.WebSocket = class FakeSocket {
  constructor(url) {
    this.url = url; this.readyState = 0; this.sent = []; this.at = performance.now(); window.__sockets.push(this);
  }
  send(data) { this.sent.push(JSON.parse(data)); }
  close() { this.drop(); }
  accept() { this.readyState = 1; if (this.onopen) this.onopen({}); }
  push(frame) { this.onmessage({data: JSON.stringify(frame)}); }
  drop() { this.readyState = 3; this.droppedAt = performance.now(); if (this.onclose) this.onclose({code: 1006}); }
};
"""
SESSION = "0b6cd0a4-62a5-4a35-9a2b-0d5f3c1f7a11"
CARD = {
    "slug": "night-owl",
    "name": "Night Owl",
    "icon_url": "",
    "summary": "Dims pages after dark.",
    "url": "https://addons.example.test/night-owl/",
    "rating": 4.5,
    "rating_count": 1200,
    "users": 35000,
    "categories": [],
    "reason": "",
}


class Scripted:
    def __init__(self, page) -> None:
        self.page = page

    def count(self) -> int:
        return self.page.evaluate("window.__sockets.length")

    def url(self, index: int = -1) -> str:
        return self.page.evaluate("i => window.__sockets.at(i).url", index)

    def accept(self, session_id: str = SESSION, resumed: bool = False) -> None:
        self.page.evaluate("i => window.__sockets.at(i).accept()", -1)
        self.push({"type": "session", "session_id": session_id, "resumed": resumed, "protocol": 1})

    def push(self, frame: dict) -> None:
        self.page.evaluate("frame => window.__sockets.at(-1).push(frame)", frame)

    def sent(self) -> list[dict]:
        return self.page.evaluate("window.__sockets.at(-1).sent")

    def drop(self) -> None:
        self.page.evaluate("window.__sockets.at(-1).drop()")


def widget_server(page) -> str:
    return page.evaluate("document.querySelector('#addon-concierge').dataset.server")


@pytest.fixture
def scripted(chat_server, page):
    page.add_init_script(FAKE_SOCKET)
    page.goto(chat_server.url + "/")
    widget = Widget(page)
    widget.open()
    server = Scripted(page)
    expect(widget.status).to_have_text("Connecting…")
    assert server.url() == chat_server.url.replace("http://", "ws://") + "/ws/chat/?locale=en"
    server.accept()
    expect(widget.status).to_have_text("Finds add-ons for what you need")
    return widget, server


def test_cards_then_streamed_reply_with_typing_indicator(scripted, page):
    widget, server = scripted
    widget.say("  my eyes hurt at night  ")
    assert server.sent() == [{"type": "message", "text": "my eyes hurt at night"}]
    typing = widget.root.locator(".typing")
    expect(typing).to_be_visible()
    expect(widget.root.locator(".send")).to_be_disabled()
    server.push({"type": "cards", "turn": 1, "cards": [CARD]})
    server.push({"type": "token", "turn": 1, "text": "Night Owl "})
    server.push({"type": "token", "turn": 1, "text": "dims pages."})
    turn = widget.root.locator('.turn[data-turn="1"]')
    expect(turn.locator(".msg.bot").first).to_have_text("Night Owl dims pages.")
    expect(typing).to_be_visible()  # still streaming
    server.push({"type": "reply", "turn": 1, "text": "Night Owl dims pages after dark."})
    server.push({"type": "done", "turn": 1})
    expect(typing).to_have_count(0)
    expect(turn.locator(".msg.bot").first).to_have_text("Night Owl dims pages after dark.")
    expect(turn.locator(".card .rating")).to_have_attribute("aria-label", "Rated 4.5 out of 5 by 1,200 people")
    expect(widget.root.locator('[aria-live="polite"]')).to_contain_text("1 add-ons suggested: Night Owl")

    widget.root.get_by_role("button", name="Show more").click()
    assert server.sent()[-1] == {"type": "more"}
    server.push({"type": "done", "turn": 2})
    widget.root.get_by_role("button", name="Good suggestion: Night Owl").click()
    assert server.sent()[-1] == {"type": "feedback", "slug": "night-owl", "value": "up"}
    expect(turn.locator(".noted")).to_have_text("")  # not claimed before the server stored it
    server.push({"type": "done", "turn": 2})
    expect(turn.locator(".noted")).to_have_text("Thanks — noted.")
    widget.root.get_by_role("button", name="That's it!").click()
    assert server.sent()[-1] == {"type": "feedback", "value": "satisfied"}
    server.push({"type": "done", "turn": 3})
    expect(widget.root.locator(".actions")).to_be_hidden()
    widget.root.get_by_role("button", name="Start over").click()
    assert server.sent()[-1] == {"type": "reset"}
    expect(widget.root.locator(".msg.me, .card")).to_have_count(0)
    expect(widget.input).to_be_focused()


def test_a_replayed_closed_conversation_offers_no_quick_replies(scripted, page):
    widget, server = scripted
    server.push(
        {
            "type": "history",
            "messages": [
                {"turn": 1, "role": "visitor", "kind": "message", "text": "dark pages"},
                {"turn": 1, "role": "assistant", "kind": "reply", "text": "Try Night Owl.", "cards": [CARD]},
                {"turn": 2, "role": "visitor", "kind": "feedback", "feedback": {"value": "satisfied"}},
                {"turn": 2, "role": "assistant", "kind": "reply", "text": "Glad it helped."},
            ],
        }
    )
    expect(widget.root.locator(".msg.me")).to_have_text(["dark pages", "That's it!"])
    expect(widget.root.locator(".actions")).to_be_hidden()
    widget.say("and something for tabs")
    server.push({"type": "cards", "turn": 3, "cards": [{**CARD, "slug": "tab-owl", "name": "Tab Owl"}]})
    server.push({"type": "done", "turn": 3})
    expect(widget.root.locator(".actions")).to_be_visible()


def test_error_frames_are_shown_politely_as_text(scripted):
    widget, server = scripted
    widget.say("hello")
    server.push({"type": "error", "code": "rate_limited", "message": "Too many messages; <b>wait</b> a few seconds."})
    notice = widget.root.locator(".notice")
    expect(notice).to_have_text("Too many messages; <b>wait</b> a few seconds.")
    expect(notice).to_have_attribute("role", "alert")
    expect(widget.root.locator(".typing")).to_have_count(0)
    expect(widget.root.locator(".send")).to_be_enabled()


def test_reconnects_with_backoff_resumes_and_sends_what_was_typed_offline(scripted, page):
    widget, server = scripted
    assert page.evaluate("Object.entries(localStorage)") == [
        [f"addon-concierge:{widget_server(page)}:session", SESSION]
    ]
    server.drop()
    expect(widget.status).to_have_text("Connection lost — reconnecting…")
    page.wait_for_function("window.__sockets.length === 2", timeout=5000)
    waited = page.evaluate("window.__sockets[1].at - window.__sockets[0].droppedAt")
    assert 700 <= waited <= 1500  # the first retry waits about a second
    assert server.url().endswith(f"/ws/chat/?locale=en&session={SESSION}")
    server.drop()  # the retry fails too: the next waits about twice as long
    page.wait_for_function("window.__sockets.length === 3", timeout=5000)
    waited = page.evaluate("window.__sockets[2].at - window.__sockets[1].droppedAt")
    assert 1400 <= waited <= 2800
    widget.say("block trackers")  # typed while connecting: shown, queued, sent once the session is back
    expect(widget.root.locator(".msg.me.queued")).to_have_text("block trackers")
    server.accept(resumed=True)
    assert server.sent() == []  # not before the history is drawn, so the order on screen stays right
    server.push(
        {
            "type": "history",
            "messages": [
                {"turn": 1, "role": "visitor", "kind": "message", "text": "dark pages"},
                {
                    "turn": 1,
                    "role": "assistant",
                    "kind": "reply",
                    "text": "Try Night Owl.",
                    "cards": [CARD],
                    "question": {"id": "q1", "text": "Which site?", "options": [{"id": "yt", "label": "YouTube"}]},
                },
                {
                    "turn": 2,
                    "role": "visitor",
                    "kind": "answer",
                    "text": "yt",
                    "question": {"id": "q1", "option": "yt"},
                },
                {"turn": 2, "role": "visitor", "kind": "feedback", "feedback": {"slug": "night-owl", "value": "down"}},
            ],
        }
    )
    assert server.sent() == [{"type": "message", "text": "block trackers"}]
    expect(widget.root.locator(".msg.me.queued")).to_have_count(0)
    expect(widget.root.locator(".msg.me")).to_have_text(["dark pages", "YouTube", "block trackers"])
    expect(widget.root.locator(".chip.option")).to_be_disabled()
    expect(widget.root.locator(".chip.option")).to_have_attribute("aria-pressed", "true")
    expect(widget.root.locator(".card .thumb.down")).to_have_attribute("aria-pressed", "true")
    expect(widget.status).to_have_text("Finds add-ons for what you need")


def test_a_forgotten_session_starts_afresh(scripted, page):
    widget, server = scripted
    widget.say("hello")
    server.push({"type": "done", "turn": 1})
    server.drop()
    page.wait_for_function("window.__sockets.length === 2", timeout=5000)
    server.accept(session_id="5e7f51d9-7d0c-4f7e-a7a4-3c43c3a9d2f0", resumed=False)
    expect(widget.root.locator(".msg.me")).to_have_count(0)
    expect(widget.root.locator(".example")).to_have_count(3)
    stored = page.evaluate("Object.values(localStorage)")
    assert stored == ["5e7f51d9-7d0c-4f7e-a7a4-3c43c3a9d2f0"]


def test_configuration_from_data_attributes(chat_server, host_sites, page):
    folder, _, site = host_sites["allowed"]
    (folder / "configured.html").write_text(
        '<!doctype html><html lang="de"><head><style>body > *, div, button, section { display: none !important;'
        " font: 40px serif !important; color: red !important }</style></head><body>"  # a hostile host page
        f'<script src="{chat_server.url}/static/chatbot/widget.js" data-server="{chat_server.url}/" '
        'data-title="Shop-Hilfe" data-accent="rgb(200, 10, 60)" data-position="bottom-left" '
        'data-greeting="Willkommen im Laden!" data-examples="Werbung blockieren|Tabs ordnen" async></script>'
        "</body></html>"
    )
    page.add_init_script(FAKE_SOCKET)
    page.goto(site + "/configured.html")
    widget = Widget(page)
    expect(widget.launcher).to_have_attribute("aria-label", "Add-on-Assistent öffnen")
    box = widget.launcher.bounding_box()
    assert box["x"] < 100  # bottom-left
    expect(widget.launcher).to_have_css("background-color", "rgb(200, 10, 60)")
    expect(widget.launcher).to_be_visible()
    expect(widget.launcher).to_have_css("font-size", "14px")  # the widget's own, not the page's 40px
    widget.open()
    expect(widget.root.locator("h2")).to_have_text("Shop-Hilfe")
    expect(widget.root.locator(".msg.bot").first).to_have_text("Willkommen im Laden!")
    expect(widget.root.locator(".example")).to_have_text(["Werbung blockieren", "Tabs ordnen"])
    # the trailing / of data-server dropped; the interface's language (data-locale) goes along
    assert Scripted(page).url() == chat_server.url.replace("http://", "ws://") + "/ws/chat/?locale=de"


@pytest.mark.parametrize(
    "locale, greeting, placeholder",
    [("es", "¡Hola!", "Describe lo que necesitas…"), ("it", "Ciao!", "Descrivi ciò che ti serve…"),
     ("pt", "Olá!", "Descreva o que precisa…"), ("nl", "Hallo!", "Beschrijf wat je nodig hebt…")],
)  # fmt: skip
def test_the_interface_speaks_the_pages_language(chat_server, host_sites, page, locale, greeting, placeholder):
    folder, _, site = host_sites["allowed"]
    (folder / f"{locale}.html").write_text(
        f'<!doctype html><html lang="{locale}"><body><script src="{chat_server.url}/static/chatbot/widget.js" '
        f'data-server="{chat_server.url}" async></script></body></html>'
    )
    page.add_init_script(FAKE_SOCKET)
    page.goto(f"{site}/{locale}.html")
    widget = Widget(page)
    widget.open()
    expect(widget.root.locator(".msg.bot").first).to_contain_text(greeting)
    expect(widget.root.locator("textarea")).to_have_attribute("placeholder", placeholder)
    assert Scripted(page).url().endswith(f"/ws/chat/?locale={locale}")


def test_a_message_answered_busy_is_sent_again_with_backoff_then_gives_up_politely(scripted, page):
    widget, server = scripted
    widget.say("block ads")
    busy = {"type": "error", "code": "busy", "message": "The assistant is busy right now.", "retry_after": 0.05}
    waited = []
    for attempt in range(4):  # BUSY_TRIES: the same message again each time, later each time
        assert [frame["text"] for frame in server.sent()] == ["block ads"] * (attempt + 1)
        pushed = page.evaluate("performance.now()")
        server.push(busy)
        page.wait_for_function(f"window.__sockets.at(-1).sent.length === {attempt + 2}", timeout=10_000)
        waited.append(page.evaluate("performance.now()") - pushed)
        expect(widget.root.locator(".notice")).to_have_count(0)  # retried quietly
        expect(widget.root.locator(".send")).to_be_disabled()  # still waiting for its answer
    assert waited[0] >= 30 and waited[-1] > 2 * waited[0]  # retry_after, doubling (with jitter)
    server.push(busy)  # the fifth "busy": told, and free to try again
    expect(widget.root.locator(".notice")).to_have_text("The assistant is busy right now.")
    expect(widget.root.locator(".send")).to_be_enabled()
    assert len(server.sent()) == 5
    server.push({"type": "done", "turn": 0})  # nothing pending: an extra acknowledgement is ignored
