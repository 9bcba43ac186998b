"""A scripted fake AMO website on 127.0.0.1 for scrape tests: pages, robots.txt, 429s, stalls."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Response:
    status: int = 200
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class FakeAmo:
    """Routes map a path (with query) to a list of responses served in turn; the last one repeats."""

    routes: dict[str, list[Response]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    base_url: str = ""

    def route(self, path: str, *responses: Response) -> None:
        self.routes[path] = list(responses)

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


def listing_card(slug: str, name: str, users: str = "1,000 users", rating: str = "4.5") -> str:
    return f"""
    <li class="SearchResult">
      <div class="SearchResult-wrapper">
        <img class="SearchResult-icon" src="https://addons.example/{slug}.png" alt="">
        <h2 class="SearchResult-name"><a class="SearchResult-link" href="/en-US/firefox/addon/{slug}/">{name}</a></h2>
        <div class="SearchResult-rating"><div class="Rating" title="Rated {rating} out of 5"></div></div>
        <p class="SearchResult-summary">{name} does useful things.</p>
        <div class="SearchResult-users"><span class="SearchResult-users-text">{users}</span></div>
      </div>
    </li>"""


def listing_page(*cards: str, next_href: str = "") -> str:
    paginator = (
        f'<div class="Paginate"><a class="Paginate-item Paginate-item--next" href="{next_href}">Next</a></div>'
        if next_href
        else ""
    )
    return f"<html><body><section class='SearchResults'><ul>{''.join(cards)}</ul></section>{paginator}</body></html>"


def detail_page(slug: str, name: str, description: str) -> str:
    return f"""<html><head><link rel="canonical" href="https://addons.mozilla.org/en-US/firefox/addon/{slug}/"></head>
    <body><div class="Addon"><h1 class="AddonTitle">{name}<span class="AddonTitle-author"> by Someone</span></h1>
    <p class="Addon-summary">{name} summary.</p>
    <section class="AddonDescription"><div class="AddonDescription-contents">{description}</div></section>
    </div></body></html>"""


@contextmanager
def serve(fake: FakeAmo) -> Iterator[FakeAmo]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            fake.requests.append((self.path, self.headers.get("User-Agent", "")))
            queue = fake.routes.get(self.path)
            response = (queue.pop(0) if len(queue) > 1 else queue[0]) if queue else Response(404, "not found")
            if response.delay:
                time.sleep(response.delay)
            body = response.body.encode()
            try:
                self.send_response(response.status)
                for key, value in response.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.base_url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
