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
of yours), daily_limit, which adds "retry_after" (seconds), and rate_limited, which adds
"code": "rate_limited" and "retry_after" (seconds). Messages are answered one at a time,
in the order they were sent. Each valid message counts in the person's per-minute AI
bucket (THROTTLE_AI), the one the REST API and the chat page count in (budgetpay.ai_limit).
"""

from asgiref.sync import async_to_sync, sync_to_async
from channels.db import database_sync_to_async

from budgetpay import ai_limit, llm
from budgetpay.websocket import AuthenticatedJsonConsumer
from chatbot import selectors
from chatbot.chat import chat_send
from chatbot.models import Conversation
from chatbot.serializers import MessageSerializer, NewChatMessageSerializer

MAX_FRAME_BYTES = 32 * 1024


class ChatConsumer(AuthenticatedJsonConsumer):
    handlers = {"message": "on_message", "ping": "on_ping"}
    max_frame_bytes = MAX_FRAME_BYTES

    async def on_authenticated(self) -> None:
        await self.send_json({"type": "ready", "data": {"ai": llm.ai_enabled()}})

    async def on_message(self, frame: dict) -> None:
        serializer = NewChatMessageSerializer(data=frame)
        if not serializer.is_valid():
            field, problems = next(iter(serializer.errors.items()))
            await self.send_error(f"invalid_{field}", f"{field}: {problems[0]}")
            return
        try:
            await sync_to_async(ai_limit.rate_take)(user=self.user)
        except ai_limit.RateLimited as exc:
            await self.send_error("rate_limited", str(exc), code="rate_limited", retry_after=exc.retry_after)
            return
        conversation_id = serializer.validated_data.get("conversation")
        try:
            # A turn waits on the model for seconds: it runs in a worker thread of its own
            # (not the one shared thread), so other sockets' database calls are not held up.
            reply = await database_sync_to_async(self._answer, thread_sensitive=False)(
                conversation_id, serializer.validated_data["content"]
            )
        except Conversation.DoesNotExist:
            await self.send_error("not_found", f"You have no conversation {conversation_id}.")
        except llm.DailyLimitReached as exc:
            await self.send_error("daily_limit", str(exc), retry_after=exc.retry_after)
        else:
            await self.send_json({"type": "message", "data": reply})

    def _answer(self, conversation_id: int | None, content: str) -> dict:
        conversation = None
        if conversation_id is not None:
            conversation = selectors.conversation_get(user=self.user, conversation_id=conversation_id)
        send_token = async_to_sync(self.send_json)
        result = chat_send(
            user=self.user,
            conversation=conversation,
            content=content,
            on_token=lambda piece: send_token({"type": "token", "data": piece}),
        )
        return MessageSerializer(result.reply).data
