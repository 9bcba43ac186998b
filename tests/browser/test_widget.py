"""The chat widget in a real browser against a real server: embed, conversation, feedback, resume, safety."""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.slow
TIMEOUT = 60_000  # ms; the first turn warms the server's retrieval up
NEED = "I want to read comfortably at night"
PNG = bytes.fromhex(  # a 1x1 PNG, served for the test add-on's icon URL
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2215c3d0000000049454e44ae426082"
)


class Widget:
    """Locators inside the widget's shadow root (Playwright's CSS pierces open shadow roots)."""

    def __init__(self, page) -> None:
        self.page = page
        self.root = page.locator("#addon-concierge")
        self.launcher = self.root.locator(".launcher")
        self.panel = self.root.locator(".panel")
        self.input = self.root.locator("textarea")
        self.cards = self.root.locator(".card")
        self.status = self.root.locator("header .status")

    def open(self) -> None:
        expect(self.launcher).to_be_visible(timeout=TIMEOUT)
        self.launcher.click()
        expect(self.panel).to_be_visible()

    def say(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def idle(self) -> None:
        """The turn is over: no typing indicator, send enabled again."""
        expect(self.root.locator(".typing")).to_have_count(0, timeout=TIMEOUT)

    def turn_slugs(self, turn) -> list[str]:
        return turn.locator(".card").evaluate_all("cards => cards.map(card => card.dataset.slug)")

    def shown_slugs(self) -> list[str]:
        return self.cards.evaluate_all("cards => cards.map(card => card.dataset.slug)")


def conversation_count(server) -> int:
    return server.query("SELECT COUNT(*) FROM chatbot_conversation")[0][0]


def test_conversation_refine_feedback_and_resume(chat_server, page, artifacts):
    page.goto(chat_server.url + "/")
    widget = Widget(page)
    widget.open()
    expect(widget.input).to_be_focused()
    expect(widget.root.locator(".example")).to_have_count(3)
    widget.say(NEED)
    expect(widget.cards.first).to_be_visible(timeout=TIMEOUT)
    widget.idle()
    first = widget.cards.first
    expect(first.locator("h3")).not_to_be_empty()
    expect(first.locator("img, .avatar")).to_have_count(1)
    link = first.locator("a.view")
    expect(link).to_have_attribute("href", re.compile(r"^https://"))
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", re.compile(r"\bnoopener\b"))
    expect(first.locator(".rating, .meta")).not_to_have_count(0)
    first_slugs = widget.shown_slugs()
    assert len(first_slugs) >= 1
    widget.root.locator(".log").hover()
    page.screenshot(path=str(artifacts / "widget-desktop.png"))

    widget.root.get_by_role("button", name="Not what I'm looking for").click()
    chips = widget.root.locator(".chip.option")
    expect(chips.first).to_be_enabled(timeout=TIMEOUT)
    widget.idle()
    label = chips.first.inner_text()
    chips.first.click()
    expect(chips.first).to_have_attribute("aria-pressed", "true")
    expect(widget.root.locator(".msg.me").last).to_have_text(label)
    later_turn = widget.root.locator(".turn").filter(has=page.locator(".card")).last
    expect(later_turn.locator(".card").first).to_be_visible(timeout=TIMEOUT)
    widget.idle()
    new_slugs = widget.turn_slugs(later_turn)
    assert new_slugs and not set(new_slugs) & set(first_slugs), (first_slugs, new_slugs)

    down_slug = new_slugs[0]
    down_card = later_turn.locator(f'.card[data-slug="{down_slug}"]')
    down_card.locator(".thumb.down").click()
    expect(down_card.locator(".noted")).to_have_text("Got it — I won't suggest it again.", timeout=TIMEOUT)
    expect(down_card.locator(".thumb.down")).to_have_attribute("aria-pressed", "true")
    widget.idle()
    stored = [
        json.loads(row[0])
        for row in chat_server.query(
            "SELECT feedback FROM chatbot_message WHERE kind = 'feedback' AND feedback IS NOT NULL"
        )
    ]
    assert {"slug": down_slug, "value": "down"} in stored

    shown_before_reload = widget.shown_slugs()
    texts_before_reload = widget.root.locator(".msg.me").all_inner_texts()
    page.reload()
    widget = Widget(page)
    expect(widget.panel).to_be_visible(timeout=TIMEOUT)  # it was open: it opens again
    expect(widget.cards).to_have_count(len(shown_before_reload), timeout=TIMEOUT)
    assert widget.shown_slugs() == shown_before_reload
    assert widget.root.locator(".msg.me").all_inner_texts() == texts_before_reload
    restored = widget.root.locator(f'.card[data-slug="{down_slug}"] .thumb.down')
    expect(restored).to_have_attribute("aria-pressed", "true")
    expect(widget.root.locator('.chip.option[aria-pressed="true"]')).to_have_text(label)


def test_markup_in_a_summary_shows_as_text_and_runs_nothing(chat_server, page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(chat_server.url + "/")
    widget = Widget(page)
    widget.open()
    widget.say("quokka sunset tab painter")
    card = widget.root.locator('.card[data-slug="quokka-sneaky-painter"]')
    expect(card).to_be_visible(timeout=TIMEOUT)
    widget.idle()
    expect(card.locator(".summary")).to_contain_text('<img src=x onerror="window.__xss=1;alert(1)">')
    expect(card.locator(".summary img")).to_have_count(0)
    expect(card.locator(".avatar")).to_have_text("Q")  # no icon_url: a letter avatar
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    assert dialogs == []


def test_icons_load_and_a_broken_icon_falls_back_to_a_letter(chat_server, page):
    page.route("https://icons.example.test/**", lambda route: route.fulfill(body=PNG, content_type="image/png"))
    page.goto(chat_server.url + "/")
    widget = Widget(page)
    widget.open()
    widget.say("wombat weather forecast in the toolbar")
    card = widget.root.locator('.card[data-slug="wombat-icon-weather"]')
    expect(card).to_be_visible(timeout=TIMEOUT)
    widget.idle()
    icon = card.locator("img")
    expect(icon).to_have_attribute("src", "https://icons.example.test/wombat.png")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=icon.element_handle())
    expect(card.locator(".rating")).to_have_attribute("aria-label", "Rated 4.2 out of 5 by 31 people")
    expect(card.locator(".users")).to_have_text("40 users")

    page.unroute("https://icons.example.test/**")
    page.route("https://icons.example.test/**", lambda route: route.abort())
    page.reload()
    card = Widget(page).root.locator('.card[data-slug="wombat-icon-weather"]')
    expect(card.locator(".avatar")).to_have_text("W", timeout=TIMEOUT)
    expect(card.locator("img")).to_have_count(0)


def test_keyboard_escape_focus_and_unread_dot(chat_server, page):
    page.goto(chat_server.url + "/")
    widget = Widget(page)
    expect(widget.launcher).to_have_attribute("aria-expanded", "false", timeout=TIMEOUT)
    widget.launcher.focus()
    page.keyboard.press("Enter")
    expect(widget.panel).to_be_visible()
    expect(widget.input).to_be_focused()
    expect(widget.root.locator('[aria-live="polite"]')).to_have_count(1)
    expect(widget.root.get_by_role("button", name="Close chat")).to_be_visible()
    page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    expect(widget.launcher).to_be_focused()
    expect(widget.launcher).to_have_attribute("aria-expanded", "false")

    widget.launcher.click()
    widget.root.locator(".example").first.click()  # an example need, sent with one click
    page.keyboard.press("Escape")  # close before the reply arrives
    expect(widget.root.locator(".dot")).to_be_visible(timeout=TIMEOUT)
    expect(widget.launcher).to_have_attribute("aria-label", "Open the add-on assistant (new reply)")
    widget.launcher.click()
    expect(widget.root.locator(".dot")).to_be_hidden()
    expect(widget.cards.first).to_be_visible()


def test_full_screen_on_a_phone(chat_server, browser, artifacts):
    context = browser.new_context(viewport={"width": 390, "height": 780}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(chat_server.url + "/")
        widget = Widget(page)
        widget.open()
        # The panel slides in; poll until it has settled, then it must fill the screen.
        deadline = time.monotonic() + TIMEOUT / 1000
        while True:
            box = widget.panel.bounding_box()
            edges = tuple(round(box[key]) for key in ("x", "y", "width", "height"))
            if edges == (0, 0, 390, 780) or time.monotonic() > deadline:
                break
            page.wait_for_timeout(50)
        assert edges == (0, 0, 390, 780)
        widget.say(NEED)
        expect(widget.cards.first).to_be_visible(timeout=TIMEOUT)
        widget.idle()
        page.screenshot(path=str(artifacts / "widget-mobile.png"))
        expect(widget.panel).to_have_attribute("aria-modal", "true")
        widget.input.focus()
        for _ in range(40):  # Tab cycles inside the full-screen panel, never to the page behind it
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.id") == "addon-concierge"
        widget.root.get_by_role("button", name="Close chat").click()
        expect(widget.launcher).to_be_visible()
    finally:
        context.close()


def test_embedded_on_an_allowed_partner_site(chat_server, host_sites, page):
    _, _, site = host_sites["allowed"]
    page.goto(site + "/index.html")
    widget = Widget(page)
    widget.open()
    expect(widget.root.locator("h2")).to_have_text("Partner helper")
    widget.say(NEED)
    expect(widget.cards.first).to_be_visible(timeout=TIMEOUT)
    api = page.evaluate(
        "url => fetch(url).then(r => r.json()).then(body => body.results.length)",
        chat_server.url + "/api/recommend?q=dark+mode",
    )
    assert api > 0


def test_a_site_not_allowed_cannot_connect(chat_server, host_sites, page):
    _, _, site = host_sites["foreign"]
    before = conversation_count(chat_server)
    page.goto(site + "/index.html")
    widget = Widget(page)
    widget.open()
    expect(widget.status).to_have_text("Can't reach the assistant right now. Retrying…", timeout=TIMEOUT)
    opened = page.evaluate(
        """url => new Promise(done => {
        const socket = new WebSocket(url);
        socket.onopen = () => done(true);
        socket.onclose = () => done(false);
    })""",
        chat_server.url.replace("http", "ws") + "/ws/chat/",
    )
    assert opened is False
    api = page.evaluate(
        "url => fetch(url).then(() => 'read', error => 'blocked')", chat_server.url + "/api/recommend?q=x"
    )
    assert api == "blocked"
    assert page.evaluate("Object.keys(localStorage).filter(key => key.endsWith(':session'))") == []
    assert conversation_count(chat_server) == before
