"""A sliding-window limit per websocket connection, so one client cannot flood the assistant."""

from __future__ import annotations

import time
from collections import deque
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
