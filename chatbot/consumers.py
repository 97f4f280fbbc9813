"""The chat socket: `/api/v1/chatbot/ws?token=<access JWT>`, the answer streamed as it is written.

Authentication and close codes are the notification socket's (4001 sign in again,
4002 refresh the token and reconnect, 4003 account disabled); the browser's session
cookie works too. After connecting the server sends {"type": "ready", "data": {"ai": bool}}.

Client → server:
    {"type": "message", "conversation": <id> | null, "content": "..."}
    {"type": "ping"}
Server → client, for a message:
    {"type": "token", "data": "..."}, ... pieces of the answer as they arrive, then
    {"type": "message", "data": {<the stored answer, as in the REST API, with "conversation">}}
    {"type": "pong"} for a ping.
Problems answer {"type": "error", "error": <code>, "message": "..."} and keep the socket
open. Codes: invalid_json, invalid_message, unknown_type, binary_not_supported,
frame_too_large, invalid_content, invalid_conversation, not_found (no such conversation
of yours) and daily_limit, which adds "retry_after" (seconds). Messages are answered one
at a time, in the order they were sent.
"""

import asyncio
import json
import time
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from chatbot import llm, selectors
from chatbot.chat import chat_send
from chatbot.models import Conversation
from chatbot.serializers import MessageSerializer, NewChatMessageSerializer
from notifications.consumers import AUTH_CLOSE
from users.websocket import AuthError

MAX_FRAME_BYTES = 32 * 1024


class ChatConsumer(AsyncWebsocketConsumer):
    user: Any = None
    expiry_task: asyncio.Task | None = None

    async def connect(self) -> None:
        # Accept first, then close with a code, as the notification socket does.
        await self.accept()
        auth_error = self.scope.get("auth_error")
        if auth_error:
            code, reason = AUTH_CLOSE[auth_error]
            await self.close(code=code, reason=reason)
            return
        self.user = self.scope["user"]
        expires_at = self.scope.get("token_expires_at")
        if expires_at:
            self.expiry_task = asyncio.ensure_future(self._close_when_token_expires(expires_at))
        await self._send_json({"type": "ready", "data": {"ai": llm.ai_enabled()}})

    async def _close_when_token_expires(self, expires_at: int) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        code, reason = AUTH_CLOSE[AuthError.EXPIRED]
        await self.close(code=code, reason=reason)

    async def disconnect(self, code: int) -> None:
        if self.expiry_task:
            self.expiry_task.cancel()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.user is None:
            return
        if bytes_data is not None:
            await self._error("binary_not_supported", "Send JSON text frames.")
            return
        if len(text_data.encode()) > MAX_FRAME_BYTES:
            await self._error("frame_too_large", f"Frames are limited to {MAX_FRAME_BYTES} bytes.")
            return
        try:
            frame = json.loads(text_data)
        except (ValueError, RecursionError):
            await self._error("invalid_json", "Frames must be JSON objects.")
            return
        if not isinstance(frame, dict):
            await self._error("invalid_message", 'Frames must be JSON objects like {"type": "ping"}.')
            return
        if frame.get("type") == "ping":
            await self._send_json({"type": "pong"})
        elif frame.get("type") == "message":
            await self._on_message(frame)
        else:
            await self._error("unknown_type", "Known types: message, ping.")

    async def _on_message(self, frame: dict) -> None:
        serializer = NewChatMessageSerializer(data=frame)
        if not serializer.is_valid():
            field, problems = next(iter(serializer.errors.items()))
            await self._error(f"invalid_{field}", f"{field}: {problems[0]}")
            return
        conversation_id = serializer.validated_data.get("conversation")
        try:
            # A turn waits on the model for seconds: it runs in a worker thread of its own
            # (not the one shared thread), so other sockets' database calls are not held up.
            reply = await database_sync_to_async(self._answer, thread_sensitive=False)(
                conversation_id, serializer.validated_data["content"]
            )
        except Conversation.DoesNotExist:
            await self._error("not_found", f"You have no conversation {conversation_id}.")
        except llm.DailyLimitReached as exc:
            await self._send_json(
                {"type": "error", "error": "daily_limit", "message": str(exc), "retry_after": exc.retry_after}
            )
        else:
            await self._send_json({"type": "message", "data": reply})

    def _answer(self, conversation_id: int | None, content: str) -> dict:
        conversation = None
        if conversation_id is not None:
            conversation = selectors.conversation_get(user=self.user, conversation_id=conversation_id)
        send_token = async_to_sync(self._send_json)
        result = chat_send(
            user=self.user,
            conversation=conversation,
            content=content,
            on_token=lambda piece: send_token({"type": "token", "data": piece}),
        )
        return MessageSerializer(result.reply).data

    async def _error(self, error: str, message: str) -> None:
        await self._send_json({"type": "error", "error": error, "message": message})

    async def _send_json(self, content: dict) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":"), default=str))
