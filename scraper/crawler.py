"""A polite HTTP fetcher for crawling addons.mozilla.org (no Django, so it can be tested alone).

Politeness here means: a descriptive User-Agent, robots.txt obeyed, at most `requests_per_second`
requests per client, and backing off (honouring Retry-After) when the server says it is busy.
Every redirect hop is a request of its own: it is rate limited and checked against robots.txt.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Literal
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

ErrorCode = Literal["robots_disallowed", "http_error", "timeout", "network_error"]
RETRYABLE_CODES = {"timeout", "network_error"}
MAX_REDIRECTS = 5  # RFC 9309 asks crawlers to follow at least five for robots.txt
ROBOTS_UNREACHABLE_TTL = 600.0  # seconds before an unreachable robots.txt is asked for again
DISALLOW_ALL = ["User-agent: *", "Disallow: /"]


class FetchError(Exception):
    """Why a URL could not be fetched; `code` is for programs, the message is for people."""

    def __init__(
        self, url: str, code: ErrorCode, message: str, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url
        self.code = code
        self.status = status
        self.retry_after = retry_after  # seconds the server asked us to wait, if it said

    @property
    def retryable(self) -> bool:
        """Transient trouble (network, timeout, 429, 5xx) is worth another try; the rest is not."""
        return self.code in RETRYABLE_CODES or self.status == 429 or (self.status or 0) >= 500


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date; anything else is ignored."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


class PoliteClient:
    """Fetch pages one at a time, politely. Not thread-safe: use one client per worker.

    robots.txt is read once per scheme+host and cached. Its status decides as follows:
    2xx -> the rules apply; 401/403 -> disallow all (urllib.robotparser's convention, the cautious
    one); other 4xx -> allow all (no robots.txt); 429, 5xx or unreachable -> disallow all for now,
    as Google documents (a server in trouble should not be crawled), and ask again after
    ROBOTS_UNREACHABLE_TTL seconds of the injected clock.
    """

    def __init__(
        self,
        *,
        user_agent: str,
        requests_per_second: float = 1.0,
        timeout: float = 10.0,
        max_retries: int = 3,
        backoff_base: float = 1.0,
        respect_robots: bool = True,
        max_backoff: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if requests_per_second <= 0:
            raise ValueError("requests_per_second must be positive")
        if not user_agent.strip():
            raise ValueError("a descriptive user_agent is required")
        self.user_agent = user_agent
        self.interval = 1.0 / requests_per_second
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self.backoff_base = backoff_base
        self.max_backoff = max_backoff
        self.respect_robots = respect_robots
        self._sleep = sleep
        self._clock = clock
        self._last_request: float | None = None
        self._robots: dict[str, tuple[RobotFileParser, float | None, str]] = {}
        # Redirects are followed by hand so each hop is rate limited and checked against robots.txt.
        self._http = httpx.Client(headers={"User-Agent": user_agent}, timeout=timeout, follow_redirects=False)
        self.requests_made = 0  # every HTTP request sent, robots.txt and retries included
        self.retries = 0  # attempts repeated after a transient failure
        self.fetched_count = 0  # pages fetch() returned

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def fetch(self, url: str) -> str:
        """Return the body of `url` once it answers 2xx, or raise FetchError."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"not an absolute http(s) URL: {url!r}")
        text = self._request(url, check_robots=self.respect_robots).text
        self.fetched_count += 1
        return text

    def _request(self, url: str, *, check_robots: bool) -> httpx.Response:
        """One logical GET with retries; a retry starts again from the original URL."""
        attempt = 0
        while True:
            try:
                return self._follow(url, check_robots=check_robots)
            except FetchError as exc:
                if not exc.retryable or attempt >= self.max_retries:
                    raise
                delay = self._backoff(attempt, exc.retry_after)
            attempt += 1
            self.retries += 1
            self._sleep(delay)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """The server's Retry-After wins; otherwise base * 2**attempt plus up to 10% jitter."""
        if retry_after is not None:
            return min(retry_after, self.max_backoff)
        delay = self.backoff_base * 2**attempt
        return min(delay + random.uniform(0, delay * 0.1), self.max_backoff)

    def _follow(self, url: str, *, check_robots: bool) -> httpx.Response:
        """Send one attempt, following redirects hop by hop; non-2xx answers become FetchError."""
        for _ in range(MAX_REDIRECTS + 1):
            refusal = self._robots_refusal(url) if check_robots else None
            if refusal:
                raise FetchError(url, "robots_disallowed", refusal)
            response = self._send(url)
            if response.is_success:
                return response
            if not (response.is_redirect and response.next_request is not None):
                raise FetchError(
                    url,
                    "http_error",
                    f"HTTP {response.status_code}",
                    response.status_code,
                    parse_retry_after(response.headers.get("Retry-After")),
                )
            url = str(response.next_request.url)
            if urlsplit(url).scheme not in ("http", "https"):
                raise FetchError(url, "http_error", "redirected to a non-http(s) URL", response.status_code)
        raise FetchError(url, "http_error", f"more than {MAX_REDIRECTS} redirects", response.status_code)

    def _send(self, url: str) -> httpx.Response:
        """A single rate-limited GET; transport failures become FetchError."""
        self._wait_turn()
        self.requests_made += 1
        try:
            return self._http.get(url)
        except httpx.TimeoutException as exc:
            raise FetchError(url, "timeout", f"timed out after {self.timeout:g}s ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise FetchError(url, "network_error", f"{type(exc).__name__}: {exc}") from exc

    def _wait_turn(self) -> None:
        """Space the starts of consecutive requests at least `interval` seconds apart."""
        if self._last_request is not None:
            wait = self._last_request + self.interval - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_request = self._clock()

    def _robots_refusal(self, url: str) -> str | None:
        """Why robots.txt forbids `url`, or None when it may be fetched."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        cached = self._robots.get(origin)
        if cached is None or (cached[1] is not None and self._clock() >= cached[1]):
            cached = self._robots[origin] = self._robots_load(origin)
        parser, _, why = cached
        return None if parser.can_fetch(self.user_agent, url) else why

    def _robots_load(self, origin: str) -> tuple[RobotFileParser, float | None, str]:
        """Parse robots.txt: the parser, when to forget it (None: keep) and what a refusal says."""
        robots_url = f"{origin}/robots.txt"
        parser = RobotFileParser(robots_url)
        try:
            response = self._request(robots_url, check_robots=False)
        except FetchError as exc:
            if exc.status in (401, 403):
                parser.parse(DISALLOW_ALL)
                return parser, None, f"robots.txt answered HTTP {exc.status}: the site disallows crawling"
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                parser.parse([])  # no robots.txt: nothing is disallowed
                return parser, None, ""
            parser.parse(DISALLOW_ALL)
            why = f"robots.txt unavailable, not crawling for now ({exc})"
            return parser, self._clock() + ROBOTS_UNREACHABLE_TTL, why
        parser.parse(response.text.splitlines())
        return parser, None, "disallowed by robots.txt"
