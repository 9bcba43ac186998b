"""A connection's client frames, in arrival order, bounded: what a flood of frames can cost is fixed.

Frames are limited when they arrive, not when they are handled, so pipelining cannot get around the
rate limit, and at most `size` frames wait. A refused frame still gets its answer (an error frame) in
its place in the order, because the widget pairs each frame it sent with one `done` or `error`; runs of
refusals are stored as one entry with a count, so refusing costs no memory per frame.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass


@dataclass
class Refusal:
    code: str
    message: str
    count: int = 1


class Inbox:
    def __init__(self, size: int) -> None:
        self.size = size
        self.waiting = 0  # frames (not refusals) held
        self._items: deque[str | bytes | Refusal] = deque()
        self._ready = asyncio.Event()

    def put(self, frame: str | bytes) -> bool:
        """Hold a frame; False (and nothing held) when `size` frames already wait."""
        if self.waiting >= self.size:
            return False
        self.waiting += 1
        self._push(frame)
        return True

    def refuse(self, code: str, message: str) -> None:
        """Answer the next frame in line with an error instead of handling it."""
        last = self._items[-1] if self._items else None
        if isinstance(last, Refusal) and (last.code, last.message) == (code, message):
            last.count += 1
        else:
            self._push(Refusal(code, message))

    def _push(self, item: str | bytes | Refusal) -> None:
        self._items.append(item)
        self._ready.set()

    async def get(self) -> str | bytes | Refusal:
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        item = self._items.popleft()
        if not isinstance(item, Refusal):
            self.waiting -= 1
        return item
