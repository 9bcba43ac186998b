"""The chat websocket: parse a frame, hand it to the turn service, send what it produces. Nothing else."""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from chatbot import turns
from chatbot.llm.runner import backend_warm_later
from chatbot.protocol import ErrorCode, ProtocolError, error_frame, history_frame, parse_client_frame, session_frame
from chatbot.ratelimit import SlidingWindowLimiter
from chatbot.selectors import conversation_history
from chatbot.services import conversation_open
from retrieval.language import LANGUAGES

logger = logging.getLogger(__name__)


class ChatConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode(errors="replace"))
        headers = dict(self.scope.get("headers", []))
        locale = query.get("locale", [""])[0][:2].lower()
        self.conversation, resumed = await database_sync_to_async(conversation_open)(
            session_id=query.get("session", [""])[0],
            locale=locale if locale in LANGUAGES else "",
            origin=headers.get(b"origin", b"").decode(errors="replace"),
        )
        self.limiter = SlidingWindowLimiter(limit=settings.CHAT_RATE_LIMIT, window=settings.CHAT_RATE_WINDOW)
        backend_warm_later()  # the model loads while the visitor types, not after they send
        await self.accept()
        await self.send_frame(session_frame(str(self.conversation.session_id), resumed=resumed))
        if resumed:
            history = await database_sync_to_async(conversation_history)(conversation=self.conversation)
            await self.send_frame(history_frame(history))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.limiter.allow():
            await self.send_frame(error_frame(ErrorCode.RATE_LIMITED, "Too many messages; wait a few seconds."))
            return
        try:
            event = parse_client_frame(text_data if text_data is not None else bytes_data)
            await turns.turn_handle(conversation=self.conversation, event=event, send=self.send_frame)
        except ProtocolError as error:
            await self.send_frame(error_frame(error.code, error.message))
        except Exception:  # noqa: BLE001 - the conversation must survive any one bad turn
            logger.exception("chat turn failed for %s", self.conversation.session_id)
            await self.send_frame(error_frame(ErrorCode.SERVER_ERROR, "Something went wrong; please try again."))

    async def send_frame(self, frame: dict) -> None:
        await self.send(text_data=json.dumps(frame, ensure_ascii=False))
