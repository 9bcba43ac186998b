"""PoliteClient against a real local HTTP server whose answers are scripted per path.

Waiting is faked with an injected clock/sleep pair, so the tests check which pauses the client asks
for instead of measuring wall-clock time; only the timeout test really waits (0.3 s per attempt).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from scraper.crawler import ROBOTS_UNREACHABLE_TTL, FetchError, PoliteClient

UA = "AddonConciergeBot/1.0 (+https://example.org/bot)"


@dataclass
class Reply:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0  # seconds to hold the answer back (bounded; released at teardown)


class ScriptedServer:
    """Each path answers with its queued replies in turn, repeating the last; unknown paths 404."""

    def __init__(self) -> None:
        self.script: dict[str, list[Reply]] = {}
        self.requests: list[tuple[str, str]] = []  # (path, User-Agent)
        self.release = threading.Event()
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                path = self.path.split("?", 1)[0]
                with server.lock:
                    server.requests.append((path, self.headers.get("User-Agent", "")))
                    queue = server.script.get(path) or [Reply(404, "not found")]
                    reply = queue.pop(0) if len(queue) > 1 else queue[0]
                if reply.stall:
                    server.release.wait(reply.stall)
                body = reply.body.encode()
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "text/plain; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up waiting (timeout test)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def on(self, path: str, *replies: Reply) -> None:
        self.script[path] = list(replies)

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


class FakeTime:
    """A clock that only moves when the client sleeps; records every pause asked for."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    srv = ScriptedServer()
    srv.on("/robots.txt", Reply(404, "none"))
    srv.thread.start()
    try:
        yield srv
    finally:
        srv.release.set()
        srv.httpd.shutdown()
        srv.httpd.server_close()
        srv.thread.join(timeout=5)


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


def make_client(fake: FakeTime, **kwargs: object) -> PoliteClient:
    options: dict = {
        "user_agent": UA,
        "requests_per_second": 1000.0,
        "timeout": 5.0,
        "max_retries": 3,
        "backoff_base": 0.5,
        "sleep": fake.sleep,
        "clock": fake.clock,
    }
    options.update(kwargs)
    return PoliteClient(**options)


def test_user_agent_is_sent_with_every_request(server: ScriptedServer, fake: FakeTime) -> None:
    server.on("/page", Reply(200, "hello"))
    with make_client(fake) as client:
        assert client.fetch(server.base + "/page") == "hello"
    assert server.requests == [("/robots.txt", UA), ("/page", UA)]
    assert (client.requests_made, client.fetched_count, client.retries) == (2, 1, 0)


def test_robots_disallow_is_never_requested_and_robots_is_cached(server: ScriptedServer, fake: FakeTime) -> None:
    server.on("/robots.txt", Reply(200, "User-agent: *\nDisallow: /private\n"))
    server.on("/public", Reply(200, "public"))
    with make_client(fake) as client:
        with pytest.raises(FetchError) as caught:
            client.fetch(server.base + "/private/page")
        assert client.fetch(server.base + "/public") == "public"
    assert caught.value.code == "robots_disallowed"
    assert caught.value.status is None and caught.value.url == server.base + "/private/page"
    assert server.paths() == ["/robots.txt", "/public"]


def test_robots_rules_for_our_agent_apply(server: ScriptedServer, fake: FakeTime) -> None:
    server.on("/robots.txt", Reply(200, "User-agent: AddonConciergeBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n"))
    with make_client(fake) as client, pytest.raises(FetchError) as caught:
        client.fetch(server.base + "/page")
    assert caught.value.code == "robots_disallowed"
    assert server.paths() == ["/robots.txt"]


def test_robots_404_allows_everything(server: ScriptedServer, fake: FakeTime) -> None:
    server.on("/anything", Reply(200, "yes"))
    with make_client(fake) as client:
        assert client.fetch(server.base + "/anything") == "yes"
    assert server.paths() == ["/robots.txt", "/anything"]


@pytest.mark.parametrize("status", [401, 403, 503])
def test_robots_forbidden_or_failing_disallows_all(server: ScriptedServer, fake: FakeTime, status: int) -> None:
    server.on("/robots.txt", Reply(status, "no"))
    server.on("/page", Reply(200, "page"))
    with make_client(fake, max_retries=0) as client, pytest.raises(FetchError) as caught:
        client.fetch(server.base + "/page")
    assert caught.value.code == "robots_disallowed"
    assert server.paths() == ["/robots.txt"]


def test_unreachable_robots_is_asked_again_later(server: ScriptedServer, fake: FakeTime) -> None:
    server.on("/robots.txt", Reply(503, "busy"), Reply(404, "none"))
    server.on("/page", Reply(200, "page"))
    with make_client(fake, max_retries=0) as client:
        with pytest.raises(FetchError):
            client.fetch(server.base + "/page")
        fake.now += ROBOTS_UNREACHABLE_TTL
        assert client.fetch(server.base + "/page") == "page"
    assert server.paths() == ["/robots.txt", "/robots.txt", "/page"]


def test_429_then_200_honours_retry_after(server: ScriptedServer, fake: FakeTime) -> None:
    server.on("/busy", Reply(429, "slow down", {"Retry-After": "1"}), Reply(200, "done"))
    with make_client(fake, respect_robots=False, requests_per_second=10.0, backoff_base=0.01) as client:
        assert client.fetch(server.base + "/busy") == "done"
    assert server.paths() == ["/busy", "/busy"]
    assert fake.sleeps == [1.0]
    assert client.retries == 1


def test_retry_after_is_capped(server: ScriptedServer, fake: FakeTime) -> None:
    server.on("/busy", Reply(429, "later", {"Retry-After": "3600"}), Reply(200, "done"))
    with make_client(fake, respect_robots=False, max_backoff=60.0) as client:
        assert client.fetch(server.base + "/busy") == "done"
    assert fake.sleeps == [60.0]


def test_persistent_503_fails_after_retries_with_exponential_backoff(server: ScriptedServer, fake: FakeTime) -> None:
    server.on("/down", Reply(503, "down"))
    with (
        make_client(fake, respect_robots=False, max_retries=2, backoff_base=0.5) as client,
        pytest.raises(FetchError) as caught,
    ):
        client.fetch(server.base + "/down")
    assert (caught.value.code, caught.value.status) == ("http_error", 503)
    assert "503" in str(caught.value) and server.base + "/down" in str(caught.value)
    assert server.paths() == ["/down"] * 3
    assert client.retries == 2
    first, second = fake.sleeps
    assert 0.5 <= first <= 0.55 and 1.0 <= second <= 1.1


def test_404_fails_at_once(server: ScriptedServer, fake: FakeTime) -> None:
    with make_client(fake, respect_robots=False) as client, pytest.raises(FetchError) as caught:
        client.fetch(server.base + "/missing")
    assert (caught.value.code, caught.value.status) == ("http_error", 404)
    assert server.paths() == ["/missing"]
    assert fake.sleeps == []


def test_slow_server_times_out(server: ScriptedServer, fake: FakeTime) -> None:
    server.on("/slow", Reply(200, "late", stall=3.0))
    with (
        make_client(fake, respect_robots=False, timeout=0.3, max_retries=0) as client,
        pytest.raises(FetchError) as caught,
    ):
        client.fetch(server.base + "/slow")
    assert (caught.value.code, caught.value.status) == ("timeout", None)
    assert server.paths() == ["/slow"]


def test_timeout_is_retried(server: ScriptedServer, fake: FakeTime) -> None:
    server.on("/flaky", Reply(200, "late", stall=3.0), Reply(200, "quick"))
    with make_client(fake, respect_robots=False, timeout=0.3, max_retries=1) as client:
        assert client.fetch(server.base + "/flaky") == "quick"
    assert server.paths() == ["/flaky", "/flaky"]


def test_connection_refused_is_a_network_error(fake: FakeTime) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with make_client(fake, max_retries=1) as client, pytest.raises(FetchError) as caught:
        client.fetch(f"http://127.0.0.1:{port}/page")
    # robots.txt was unreachable, so the page itself is refused without being tried.
    assert caught.value.code == "robots_disallowed"
    with make_client(fake, respect_robots=False, max_retries=1) as client, pytest.raises(FetchError) as caught:
        client.fetch(f"http://127.0.0.1:{port}/page")
    assert (caught.value.code, caught.value.status) == ("network_error", None)
    assert client.requests_made == 2


def test_requests_are_spaced_by_the_rate_limit(server: ScriptedServer, fake: FakeTime) -> None:
    for path in ("/a", "/b", "/c"):
        server.on(path, Reply(200, path))
    with make_client(fake, requests_per_second=2.0) as client:
        for path in ("/a", "/b", "/c"):
            client.fetch(server.base + path)
    assert server.paths() == ["/robots.txt", "/a", "/b", "/c"]
    assert fake.sleeps == [0.5, 0.5, 0.5]  # robots.txt counts as a request too


def test_redirects_are_followed_and_each_hop_checked(server: ScriptedServer, fake: FakeTime) -> None:
    server.on("/robots.txt", Reply(200, "User-agent: *\nDisallow: /secret\n"))
    server.on("/old", Reply(301, "", {"Location": "/new"}))
    server.on("/new", Reply(200, "moved here"))
    server.on("/sneaky", Reply(302, "", {"Location": "/secret"}))
    with make_client(fake) as client:
        assert client.fetch(server.base + "/old") == "moved here"
        with pytest.raises(FetchError) as caught:
            client.fetch(server.base + "/sneaky")
    assert caught.value.code == "robots_disallowed"
    assert server.paths() == ["/robots.txt", "/old", "/new", "/sneaky"]


def test_rejects_bad_arguments(fake: FakeTime) -> None:
    with pytest.raises(ValueError):
        make_client(fake, requests_per_second=0)
    with make_client(fake) as client, pytest.raises(ValueError):
        client.fetch("ftp://example.org/file")
