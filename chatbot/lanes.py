"""Bounded thread pools for the blocking parts of a chat turn, off the thread Django keeps for sync code.

`sync_to_async` runs everything in one shared thread by default, so a slow turn (retrieval, the ORM)
made every other connection's handshake and turn wait behind it. A Lane has its own threads and a
bounded, visible queue: when it is full, the caller gets LaneFull at once and answers "busy" instead of
queueing without limit. Each of a lane's threads keeps its database connection from job to job (a
connection per job costs more than the query), so a lane holds at most `workers` connections; one that
failed is closed. (DATABASE_CONN_MAX_AGE stays 0: under ASGI each request runs in a thread of its own,
and persistent connections there would pile up until the database refuses clients.)
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.conf import settings
from django.db import connections

from marketplace import metrics

R = TypeVar("R")


class LaneFull(Exception):
    """The lane already holds as many jobs as it may: the work is refused, not queued."""


class Lane:
    def __init__(self, name: str, *, workers: int, queue: int) -> None:
        self.name = name
        self.workers = workers
        self.capacity = workers + queue  # running plus waiting
        self.pending = 0  # touched only on the event loop's thread
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"lane-{name}")

    async def run(self, function: Callable[..., R], *args: object, admitted: bool = False) -> R:
        """Run `function(*args)` in this lane's threads; raises LaneFull when `capacity` jobs are in it
        already, unless `admitted`: the rest of work the lane took earlier (a turn it started) is never refused."""
        if self.pending >= self.capacity and not admitted:
            metrics.LANE_REFUSED.labels(self.name).inc()
            raise LaneFull(self.name)
        self.pending += 1
        metrics.LANE_PENDING.labels(self.name).set(self.pending)
        try:
            job = functools.partial(_with_connections, function, *args)
            return await asyncio.get_running_loop().run_in_executor(self._executor, job)
        finally:
            self.pending -= 1
            metrics.LANE_PENDING.labels(self.name).set(self.pending)


def _with_connections(function: Callable[..., R], *args) -> R:
    try:
        return function(*args)
    finally:
        for connection in connections.all(initialized_only=True):
            if connection.errors_occurred:  # a connection that failed is not trusted with the next job
                connection.close()


@functools.cache
def turn_lane() -> Lane:
    """The lane for a turn's retrieval and database work (CHAT_TURN_THREADS, CHAT_TURN_QUEUE)."""
    return Lane("turn", workers=settings.CHAT_TURN_THREADS, queue=settings.CHAT_TURN_QUEUE)
