"""Concurrent query embeddings as one forward pass, one pass at a time.

Every turn lane thread used to run the encoder itself: four at once, each with torch's own threads, on two
cores that a model server also uses, took 130-400 ms per query instead of ~10 ms. Here the first caller
becomes the leader: it encodes everything waiting (up to `max_batch` texts per pass) until nothing is left,
while the others wait for their vectors. One pass for eight short queries costs little more than one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future

Encode = Callable[[list[str]], Sequence[Sequence[float]]]


class QueryBatcher:
    def __init__(self, encode: Encode, *, max_batch: int) -> None:
        self.encode = encode
        self.max_batch = max_batch
        self.passes = 0  # forward passes run, for tests and benches
        self._lock = threading.Lock()
        self._waiting: list[tuple[str, Future[list[float]]]] = []
        self._leading = False

    def embed(self, text: str) -> list[float]:
        future: Future[list[float]] = Future()
        with self._lock:
            self._waiting.append((text, future))
            lead = not self._leading
            self._leading = True
        if lead:
            self._drain()
        return future.result()

    def _drain(self) -> None:
        while True:
            with self._lock:
                batch, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch :]
                if not batch:
                    self._leading = False
                    return
            try:
                vectors = self.encode([text for text, _ in batch])
            except BaseException as error:  # noqa: BLE001 - every waiting caller gets the error, none hangs
                for _, future in batch:
                    future.set_exception(error)
                continue
            self.passes += 1
            for (_, future), vector in zip(batch, vectors, strict=True):
                future.set_result(list(vector))
