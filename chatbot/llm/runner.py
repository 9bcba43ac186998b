"""The one entry point the chat uses: the words around the cards, streamed without blocking the event loop.

The backend's synchronous generator runs in a worker thread and every piece passes the ReplyGuard
before it is yielded. Nothing waits without limit: when the process already runs LLM_MAX_CONCURRENT
generations with LLM_MAX_QUEUE waiting, when the backend fails or runs past LLM_TIMEOUT, or when it
writes nothing safe (a recommendation must name a card), the template writes the reply instead, unless
some safe text already went out, which then stands on its own. Consume with `contextlib.aclosing` so
an abandoned reply stops its generation right away.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncGenerator, Callable, Collection
from contextlib import aclosing, closing
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from chatbot.dialogue.decision import ReplyKind
from chatbot.llm.base import GenerationParams, LLMBackend, LLMUnavailable, ReplyRequest
from chatbot.llm.guard import ReplyGuard
from chatbot.llm.openai_backend import OpenAIBackend
from chatbot.llm.template import TemplateBackend, template_reply
from marketplace import metrics

logger = logging.getLogger(__name__)
REPLY_SENTENCES = 3  # one per card; a small model's sentences past the cards are where it rambles
MODEL_LANGUAGE = "en"  # the catalogue's language, and the only one the packaged model writes well


@dataclass(frozen=True)
class ReplyEvent:
    """A piece of reply text, or (final=True) the summary of the whole reply."""

    text: str = ""
    final: bool = False
    full_text: str = ""
    backend: str = ""
    corrected: bool = False  # a sentence was dropped by the guard, or the reply was cut short
    fell_back: bool = False  # the template wrote the reply instead of the chosen backend
    adapter: str = ""  # the LoRA adapter of the model version that wrote it
    first_token_ms: int | None = None
    total_ms: int = 0


def active_model() -> tuple[str, str]:
    """The (model, adapter) replies are written with: the promoted ModelVersion, else the settings.

    A deployment that sets LLM_ADAPTER pins its adapter and promotions do not change it. The lookup
    (LLM_SERVING_VERSION, the training app's selector) is cached for TRAINING_ACTIVE_VERSION_TTL seconds;
    load_backend keeps one backend per (model, adapter), so a promotion or rollback is served from the
    next reply on, without a restart.
    """
    if settings.LLM_ADAPTER:
        return settings.LLM_MODEL, settings.LLM_ADAPTER
    serving = import_string(settings.LLM_SERVING_VERSION)() if settings.LLM_SERVING_VERSION else None
    return serving or (settings.LLM_MODEL, "")


def get_backend() -> LLMBackend:
    choice = settings.LLM_BACKEND
    if choice == "template":
        return TemplateBackend()
    if choice == "openai":
        if not settings.LLM_OPENAI_URL:
            raise ImproperlyConfigured("LLM_BACKEND is 'openai' but LLM_OPENAI_URL is empty.")
        adapters = settings.LLM_OPENAI_ADAPTERS
        if adapters not in {"off", "named", "load"}:
            raise ImproperlyConfigured(f"LLM_OPENAI_ADAPTERS must be 'off', 'named' or 'load', not {adapters!r}.")
        adapter = active_model()[1] if adapters != "off" else ""  # the promoted version's, served by name
        return OpenAIBackend(
            settings.LLM_OPENAI_URL,
            settings.LLM_OPENAI_MODEL,
            settings.LLM_OPENAI_API_KEY,
            settings.LLM_TIMEOUT,
            adapter=adapter,
            load_adapter=adapters == "load",
        )
    if choice == "transformers":
        from chatbot.llm.transformers_backend import load_backend  # torch takes seconds to import; only here

        model, adapter = active_model()
        return load_backend(model, adapter, settings.LLM_LOAD_IN_4BIT, settings.LLM_DEVICE)
    raise ImproperlyConfigured(f"LLM_BACKEND must be 'transformers', 'openai' or 'template', not {choice!r}.")


def model_health() -> str:
    """The reply backend's readiness, for /readyz: raises when it cannot write replies."""
    backend = get_backend()
    return f"{backend.name}: {backend.health()}"


def backend_warm() -> str:
    """Load the active reply model now, converting the packaged GGUF on first use, so that no visitor's
    first reply waits for it (the conversion alone takes longer than LLM_TIMEOUT); returns its name."""
    backend = get_backend()
    if callable(loader := getattr(backend, "loaded", None)):
        loader()
    return backend.name


class _Gate:
    """This process's generation slots: LLM_MAX_CONCURRENT run, LLM_MAX_QUEUE wait, the rest are refused.

    Built on threads rather than asyncio so it holds across event loops and in the worker threads.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self.running = 0
        self.waiting = 0

    def admit(self) -> bool:
        with self._condition:
            if self.running + self.waiting >= settings.LLM_MAX_CONCURRENT + settings.LLM_MAX_QUEUE:
                return False
            self.waiting += 1
            metrics.GENERATIONS.inc()
            return True

    def enter(self, abandoned: threading.Event) -> bool:
        """Wait for a running slot; False when the reply is abandoned first."""
        with self._condition:
            self._condition.wait_for(lambda: self.running < settings.LLM_MAX_CONCURRENT or abandoned.is_set())
            self.waiting -= 1
            if abandoned.is_set():
                metrics.GENERATIONS.dec()
                self._condition.notify_all()
                return False
            self.running += 1
            return True

    def leave(self) -> None:
        with self._condition:
            self.running -= 1
            metrics.GENERATIONS.dec()
            self._condition.notify_all()

    def abandon(self, abandoned: threading.Event) -> None:
        with self._condition:
            abandoned.set()
            self._condition.notify_all()

    def idle(self, timeout: float) -> bool:
        """Wait until no generation runs or waits (an abandoned one stops after its current token)."""
        with self._condition:
            return self._condition.wait_for(lambda: not self.running and not self.waiting, timeout)


_gate = _Gate()


def generations_idle(timeout: float = 30.0) -> bool:
    """Whether this process's generations have all ended within `timeout` seconds: before it exits, since
    a model thread cut off mid-token takes the interpreter down with it."""
    return _gate.idle(timeout)


_END = object()


@dataclass(frozen=True)
class _Failure:
    error: Exception


def _produce(
    backend: LLMBackend,
    request: ReplyRequest,
    params: GenerationParams,
    post: Callable[[object], None],
    abandoned: threading.Event,
) -> None:
    """Worker thread: wait for a slot, then hand each piece to the event loop."""
    try:
        if not _gate.enter(abandoned):
            return
        try:
            with closing(backend.stream(request, params)) as pieces:
                for piece in pieces:
                    if abandoned.is_set():
                        break
                    post(piece)
        finally:
            _gate.leave()
    except Exception as error:  # noqa: BLE001 - carried to the event loop, which raises it
        post(_Failure(error))
    finally:
        post(_END)


async def _generated(backend: LLMBackend, request: ReplyRequest, params: GenerationParams) -> AsyncGenerator[str, None]:
    """The backend's raw pieces; raises when refused a slot, on the backend's error, or after LLM_TIMEOUT."""
    if not _gate.admit():
        raise LLMUnavailable("every generation slot and queue place is taken")
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()
    abandoned = threading.Event()

    def post(item: object) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop has closed: nobody is waiting for this reply any more
            abandoned.set()

    threading.Thread(
        target=_produce, args=(backend, request, params, post, abandoned), name=f"llm-{backend.name}", daemon=True
    ).start()
    deadline = loop.time() + settings.LLM_TIMEOUT
    try:
        while (item := await asyncio.wait_for(queue.get(), deadline - loop.time())) is not _END:
            if isinstance(item, _Failure):
                raise item.error
            if isinstance(item, str):
                yield item
    finally:
        _gate.abandon(abandoned)


def complete(
    request: ReplyRequest, params: GenerationParams, *, timeout: float, backend: LLMBackend | None = None
) -> str | None:
    """The whole text the backend writes within `timeout` seconds, or None when busy, failing or too slow.

    For short side tasks such as rewriting a query, asked from a worker thread (never the event loop);
    it shares the replies' generation slots, so it never runs a second generation on the same model.
    """
    if not _gate.admit():
        return None
    pieces: list[str] = []
    failures: list[Exception] = []
    abandoned = threading.Event()

    def run() -> None:
        try:
            if not _gate.enter(abandoned):
                return
            try:
                with closing((backend or get_backend()).stream(request, params)) as stream:
                    for piece in stream:
                        if abandoned.is_set():
                            break
                        pieces.append(piece)
            finally:
                _gate.leave()
        except Exception as error:  # noqa: BLE001 - carried to the caller's thread, which logs it
            failures.append(error)

    worker = threading.Thread(target=run, name="llm-complete", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive() or failures:
        _gate.abandon(abandoned)
        if failures:
            _log_failure(backend or get_backend(), request, failures[0])
        return None
    return "".join(pieces)


def _log_failure(backend: LLMBackend, request: ReplyRequest, error: BaseException) -> None:
    """A model that is down or slow is expected (a warning); anything else is a bug to see in full."""
    if isinstance(error, (LLMUnavailable, TimeoutError)):
        logger.warning("%s %s generation gave up: %r", backend.name, request.kind, error)
    else:
        logger.error("%s %s generation failed", backend.name, request.kind, exc_info=error)


class _BackendFailed(Exception):
    """The backend stopped early (its failure is logged); the guard's own errors never become this."""


async def _backend_pieces(
    backend: LLMBackend, request: ReplyRequest, params: GenerationParams
) -> AsyncGenerator[str, None]:
    try:
        async for piece in _generated(backend, request, params):
            yield piece
    except Exception as error:  # noqa: BLE001 - logged in full unless expected; the template replies instead
        _log_failure(backend, request, error)
        raise _BackendFailed from error


async def _guarded(
    backend: LLMBackend, request: ReplyRequest, params: GenerationParams, guard: ReplyGuard, *, live: bool
) -> AsyncGenerator[str, None]:
    """The backend's reply as it may reach the visitor. `live`: every piece as it is generated (the backend
    grounds its words as it writes them; the guard still decides the final text). Otherwise each sentence
    once the guard has passed it. A backend failure ends the reply early (what was sent stands); an error in
    the guard itself propagates like any bug."""
    kept = 0
    try:
        async with aclosing(_backend_pieces(backend, request, params)) as pieces:
            async for piece in pieces:
                passed = guard.feed(piece)
                kept += sum(1 for sentence in passed if sentence.strip())
                for text in [piece] if live else passed:
                    yield text
                if guard.off_topic or kept >= REPLY_SENTENCES:
                    return  # closing the pieces stops the generation
    except _BackendFailed:
        guard.discard()
        return
    passed = guard.finish()
    if not live:
        for sentence in passed:
            yield sentence


def _ms(since: float) -> int:
    return int((time.perf_counter() - since) * 1000)


async def stream_reply(
    request: ReplyRequest,
    params: GenerationParams,
    *,
    catalogue_names: Collection[str],
    backend: LLMBackend | None = None,
) -> AsyncGenerator[ReplyEvent, None]:
    """Text events as they may reach the visitor, then one final event with the whole reply as stored.

    The model writes only the replies that cards ground (LLM_REPLY_KINDS), in English, the catalogue's
    language; the template writes the rest, in the visitor's language. The final text is what passed the
    guard: when a live reply lost a sentence there, it differs from what streamed, and the chat's `reply`
    frame replaces the streamed text with it.
    """
    started = time.perf_counter()
    writer: LLMBackend
    if request.kind not in settings.LLM_REPLY_KINDS or request.language != MODEL_LANGUAGE:
        writer = TemplateBackend()
    else:
        writer = backend if backend is not None else await asyncio.to_thread(get_backend)  # imports torch once
    first_token_ms: int | None = None
    if isinstance(writer, TemplateBackend):  # written from the cards' own words: nothing to guard
        for word in writer.stream(request, params):
            first_token_ms = first_token_ms if first_token_ms is not None else _ms(started)
            yield ReplyEvent(text=word)
        yield ReplyEvent(final=True, full_text=template_reply(request), backend=writer.name,
                         first_token_ms=first_token_ms, total_ms=_ms(started))  # fmt: skip
        return
    guard = ReplyGuard(
        request.cards,
        catalogue_names,
        need=f"{request.need} {request.said}",
        require_card=request.kind in (ReplyKind.RECOMMEND, ReplyKind.MORE) and bool(request.cards),
    )
    live = writer.grounds(request)
    streamed: list[str] = []
    async for text in _guarded(writer, request, params, guard, live=live):
        text = text if streamed else text.lstrip()
        if text:
            first_token_ms = first_token_ms if first_token_ms is not None else _ms(started)
            streamed.append(text)
            yield ReplyEvent(text=text)
    full_text = " ".join(sentence.strip() for sentence in guard.kept)
    fell_back = not full_text
    if fell_back:
        full_text = template_reply(request)
        if not streamed:
            for word in TemplateBackend().stream(request, params):
                first_token_ms = first_token_ms if first_token_ms is not None else _ms(started)
                yield ReplyEvent(text=word)
    yield ReplyEvent(
        final=True,
        full_text=full_text,
        backend=TemplateBackend.name if fell_back else writer.name,
        corrected=guard.corrected,
        fell_back=fell_back,
        adapter="" if fell_back else writer.adapter,
        first_token_ms=first_token_ms,
        total_ms=_ms(started),
    )
