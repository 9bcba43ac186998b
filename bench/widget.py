"""The chat widget's weight and speed as a visitor sees it, in Debian's chromium against a real server.

Prints widget.js raw and gzipped size; then, over several fresh browser profiles on the demo storefront,
time from navigation start to DOMContentLoaded and to the load event (the page's own baseline) and to the
chat bubble being visible; and from sending a message to the first card and to the finished turn, next
to the server's own time to first card for the same turns (Message.first_card_ms), the baseline the
browser, websocket and widget add to.

Usage: python bench/widget.py [--runs 10] [--llm template|transformers]
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics

from common import REPO, percentiles, scratch_django, serve

WIDGET = REPO / "static" / "chatbot" / "widget.js"
NEEDS = [
    "dark mode for every website",
    "block ads on video sites",
    "save articles to read later",
    "translate a whole page",
    "take a screenshot of the full page",
    "check my spelling while I type",
    "download images from a page",
    "keep my tabs organised",
    "see prices going down",
    "a password manager",
]
BUBBLE_CLOCK = """
(() => {
  const tick = () => {
    const host = document.querySelector('#addon-concierge');
    const bubble = host && host.shadowRoot && host.shadowRoot.querySelector('.launcher');
    if (bubble && bubble.getBoundingClientRect().width > 0) { window.__bubbleAt = performance.now(); return; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""
SEND_AND_TIME = """need => new Promise(done => {
  const root = document.querySelector('#addon-concierge').shadowRoot;
  const log = root.querySelector('.log');
  let firstCard = null;
  const started = performance.now();
  new MutationObserver((_, observer) => {
    if (firstCard === null && root.querySelector('.card')) firstCard = performance.now() - started;
    if (firstCard !== null && !root.querySelector('.typing')) {
      observer.disconnect(); done([firstCard, performance.now() - started]);
    }
  }).observe(log, {childList: true, subtree: true});
  root.querySelector('textarea').value = need;
  root.querySelector('form').requestSubmit();
})"""


def size_report() -> None:
    raw = WIDGET.read_bytes()
    print(f"widget.js: {len(raw) / 1024:.1f} KiB raw, {len(gzip.compress(raw, 9)) / 1024:.1f} KiB gzipped")


def browse(url: str, runs: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import LAUNCH_ARGS, chromium_path

    samples: dict[str, list[float]] = {
        "domcontentloaded": [],
        "load": [],
        "bubble": [],
        "first card": [],
        "turn done": [],
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=LAUNCH_ARGS)
        for run in range(runs + 1):  # the first run warms the server up and is not counted
            context = browser.new_context(viewport={"width": 1280, "height": 860})
            page = context.new_page()
            page.add_init_script(BUBBLE_CLOCK)
            page.goto(url, wait_until="load")
            page.wait_for_function("window.__bubbleAt !== undefined")
            timing = page.evaluate("""() => {const n = performance.getEntriesByType('navigation')[0];
                return [n.domContentLoadedEventEnd, n.loadEventEnd, window.__bubbleAt];}""")
            page.locator("#addon-concierge .launcher").click()
            page.locator("#addon-concierge .status").filter(has_text="Finds add-ons").wait_for(timeout=120_000)
            first_card, done = page.evaluate(SEND_AND_TIME, NEEDS[run % len(NEEDS)])
            context.close()
            if run:
                for key, value in zip(samples, [*timing, first_card, done], strict=True):
                    samples[key].append(value / 1000)
        browser.close()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--llm", default="template", choices=["template", "transformers", "openai"])
    args = parser.parse_args()
    size_report()
    scratch_django()
    from marketplace.services import demo_catalog_load
    from retrieval.sync import index_sync

    demo_catalog_load()
    index_sync()
    env = {**os.environ, "LLM_BACKEND": args.llm, "CHAT_RATE_LIMIT": "1000"}
    server, base = serve(env)
    try:
        samples = browse(base + "/", args.runs)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"storefront in chromium, {args.runs} fresh profiles, LLM {args.llm}; from navigation start:")
    for key in ("domcontentloaded", "load", "bubble"):
        print(f"  {key + ' visible' if key == 'bubble' else key:<18} {percentiles(samples[key])}")
    bubble_after_load = [bubble - load for bubble, load in zip(samples["bubble"], samples["load"], strict=True)]
    print(f"  bubble after load  median {statistics.median(bubble_after_load) * 1000:+.0f} ms")
    from chatbot.models import Message

    server_side = [
        ms / 1000
        for ms in Message.objects.filter(first_card_ms__isnull=False)
        .order_by("created_at")
        .values_list("first_card_ms", flat=True)
    ][1:]  # without the warm-up
    print("from sending a message (connected, new conversation):")
    for key in ("first card", "turn done"):
        print(f"  {key:<18} {percentiles(samples[key])}")
    print(f"  server first card  {percentiles(server_side)} (baseline: inside the server)")
    added = statistics.median(samples["first card"]) - statistics.median(server_side)
    print(f"  browser, socket and widget add {added * 1000:+.0f} ms at the median")


if __name__ == "__main__":
    main()
