"""The chat websocket: accept at once, queue each frame, hand it to the turn service, send what it produces.

Nothing here touches the database before `accept()`: the handshake never waits behind a turn. A bare
connection stores nothing; its conversation is stored on its first frame. Database and retrieval work
runs in the turn lane (chatbot.lanes), and each connection's frames wait in its own bounded Inbox, handled
one at a time in arrival order.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import Counter
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from chatbot import turns
from chatbot.inbox import Inbox, Refusal
from chatbot.lanes import LaneFull, turn_lane
from chatbot.models import Conversation
from chatbot.protocol import (
    MAX_FRAME_BYTES,
    ErrorCode,
    ProtocolError,
    busy_frame,
    error_frame,
    history_frame,
    parse_client_frame,
    session_frame,
)
from chatbot.selectors import conversation_find, conversation_history
from chatbot.services import conversation_start
from marketplace import metrics
from marketplace.ratelimit import SlidingWindowLimiter
from retrieval.language import LANGUAGES

logger = logging.getLogger(__name__)
TRY_AGAIN_LATER = 1013  # the websocket close code for "the server is overloaded"
RATE_LIMITED = "Too many messages; wait a few seconds."
POLICY_VIOLATION = 1008
HISTORY_MESSAGES = 200  # a resumed conversation redraws its latest messages, however long it ran
_open_connections = 0  # this process's, checked against CHAT_MAX_CONNECTIONS
_open_by_address: Counter[str] = Counter()  # this process's per client address, against CHAT_MAX_CONNECTIONS_PER_IP


def _resume(session_id: str) -> tuple[Conversation | None, list[dict]]:
    conversation = conversation_find(session_id=session_id)
    history = conversation_history(conversation=conversation, last=HISTORY_MESSAGES) if conversation else []
    return conversation, history


class ChatConsumer(AsyncWebsocketConsumer):
    conversation: Conversation | None = None
    counted = False
    closed = False
    handling = False  # a frame is being handled: on disconnect, the turn still completes and is stored
    worker: asyncio.Task | None = None

    async def connect(self) -> None:
        global _open_connections
        await self.accept()
        self.address = (self.scope.get("client") or ("", 0))[0]
        if _open_connections >= settings.CHAT_MAX_CONNECTIONS:
            metrics.REFUSED_HANDSHAKES.inc()
            await self.send_frame(busy_frame())
            await self.close(code=TRY_AGAIN_LATER)
            return
        if _open_by_address[self.address] >= settings.CHAT_MAX_CONNECTIONS_PER_IP:
            metrics.REFUSED_HANDSHAKES.inc()
            await self.send_frame(error_frame(ErrorCode.TOO_MANY_CONNECTIONS, "Too many chats from this address."))
            await self.close(code=POLICY_VIOLATION)
            return
        _open_connections += 1
        _open_by_address[self.address] += 1
        self.counted = True
        metrics.OPEN_CONNECTIONS.inc()
        query = parse_qs(self.scope.get("query_string", b"").decode(errors="replace"))
        locale = query.get("locale", [""])[0][:2].lower()
        self.locale = locale if locale in LANGUAGES else ""
        self.origin = dict(self.scope.get("headers", [])).get(b"origin", b"").decode(errors="replace")
        self.limiter = SlidingWindowLimiter(limit=settings.CHAT_RATE_LIMIT, window=settings.CHAT_RATE_WINDOW)
        self.inbox = Inbox(settings.CHAT_INBOX_SIZE)
        turns.turn_warm_later()  # models and indexes load while the visitor types, not after they send
        session_id, history = query.get("session", [""])[0], list[dict]()
        if session_id:
            try:
                self.conversation, history = await turn_lane().run(_resume, session_id)
            except LaneFull:
                await self.send_frame(busy_frame())
                await self.close(code=TRY_AGAIN_LATER)
                return
        self.session_id = self.conversation.session_id if self.conversation else uuid.uuid4()
        await self.send_frame(session_frame(str(self.session_id), resumed=self.conversation is not None))
        if self.conversation is not None:
            await self.send_frame(history_frame(history))
        self.worker = asyncio.create_task(self._work())

    async def disconnect(self, code: int) -> None:
        global _open_connections
        self.closed = True
        if self.worker is not None and not self.handling:
            self.worker.cancel()
        if self.counted:
            self.counted = False
            _open_connections -= 1
            _open_by_address[self.address] -= 1
            if not _open_by_address[self.address]:
                del _open_by_address[self.address]
            metrics.OPEN_CONNECTIONS.dec()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame = text_data if text_data is not None else bytes_data
        if frame is None or not self.counted:
            return
        if len(frame) > MAX_FRAME_BYTES:  # refused on arrival: an oversized frame is never held
            self.inbox.refuse(ErrorCode.BAD_FRAME, f"Frames must be JSON text under {MAX_FRAME_BYTES} bytes.")
        elif not self.limiter.allow() or not self.inbox.put(frame):
            metrics.INBOX_REFUSED.inc()
            self.inbox.refuse(ErrorCode.RATE_LIMITED, RATE_LIMITED)

    async def _work(self) -> None:
        while not self.closed:
            item = await self.inbox.get()
            if isinstance(item, Refusal):
                for _ in range(item.count):
                    await self.send_frame(error_frame(item.code, item.message))
                continue
            self.handling = True
            try:
                await self._handle(item)
            finally:
                self.handling = False

    async def _handle(self, frame: str | bytes) -> None:
        try:
            event = parse_client_frame(frame)
            if self.conversation is None:
                self.conversation = await turn_lane().run(self._start)
            await turns.turn_handle(conversation=self.conversation, event=event, send=self.send_frame)
            metrics.TURNS.labels("done").inc()
        except ProtocolError as error:
            metrics.TURNS.labels("refused").inc()
            await self.send_frame(error_frame(error.code, error.message))
        except LaneFull:
            metrics.TURNS.labels("busy").inc()
            await self.send_frame(busy_frame())
        except turns.TurnConflict:
            metrics.TURNS.labels("conflict").inc()
            await self.send_frame(
                error_frame(ErrorCode.CONFLICT, "This chat moved on in another tab; send that again to continue here.")
            )
        except Exception:  # noqa: BLE001 - the conversation must survive any one bad turn
            metrics.TURNS.labels("failed").inc()
            logger.exception("chat turn failed for %s", self.session_id)
            await self.send_frame(error_frame(ErrorCode.SERVER_ERROR, "Something went wrong; please try again."))

    def _start(self) -> Conversation:
        return conversation_start(
            session_id=self.session_id, origin=self.origin, locale=self.locale, address=self.address
        )

    async def send_frame(self, frame: dict) -> None:
        if self.closed:
            return
        await self.send(text_data=json.dumps(frame, ensure_ascii=False))


class NoSuchEndpoint(AsyncWebsocketConsumer):
    """Any websocket path but the chat's: the handshake is refused."""

    async def connect(self) -> None:
        await self.close()
