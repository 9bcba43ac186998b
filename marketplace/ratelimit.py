"""Sliding-window limits: per websocket connection (the chat) and per client address (the HTTP API)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class SlidingWindowLimiter:
    def __init__(self, *, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.stamps: deque[float] = deque()

    def allow(self) -> bool:
        """Count one frame; False when the connection has sent `limit` frames within `window` seconds."""
        now = self.clock()
        while self.stamps and now - self.stamps[0] >= self.window:
            self.stamps.popleft()
        if len(self.stamps) >= self.limit:
            return False
        self.stamps.append(now)
        return True


class ClientLimiter:
    """One SlidingWindowLimiter per client address, the least recently seen forgotten beyond `max_clients`
    (memory stays bounded whoever calls). Thread-safe: HTTP views run in many threads."""

    def __init__(self, *, limit: int, window: float, max_clients: int = 10_000) -> None:
        self.limit, self.window, self.max_clients = limit, window, max_clients
        self._clients: OrderedDict[str, SlidingWindowLimiter] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        with self._lock:
            limiter = self._clients.pop(client, None) or SlidingWindowLimiter(limit=self.limit, window=self.window)
            self._clients[client] = limiter
            if len(self._clients) > self.max_clients:
                self._clients.popitem(last=False)
            return limiter.allow()
