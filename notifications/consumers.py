"""The notification socket: `/api/v1/notification/ws?token=<access JWT>[&since=<id>]`.

The protocol (messages, close codes, resume) is documented in docs/websocket.md.
"""

import asyncio
import json
import logging
import time
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.exceptions import ObjectDoesNotExist

from notifications import services
from notifications.models import Notification
from notifications.selectors import latest_notification_id, notification_payload, notifications_after, unread_count
from users.websocket import AuthError

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 16 * 1024
REPLAY_BATCH = 200
LAYER_TIMEOUT_SECONDS = 5


class CloseCode:
    """Application close codes (4000-4999). On 4001 and 4003 a client must not
    retry with the same credentials; on 4002 it refreshes its token and reconnects."""

    AUTHENTICATION_FAILED = 4001
    TOKEN_EXPIRED = 4002
    FORBIDDEN = 4003
    TRY_AGAIN_LATER = 1013  # the channel layer (Redis) is unreachable; reconnect with backoff


AUTH_CLOSE = {
    AuthError.MISSING: (CloseCode.AUTHENTICATION_FAILED, "authentication required: pass ?token=<access JWT>"),
    AuthError.INVALID: (CloseCode.AUTHENTICATION_FAILED, "invalid token: sign in again"),
    AuthError.EXPIRED: (CloseCode.TOKEN_EXPIRED, "token expired: refresh it and reconnect"),
    AuthError.INACTIVE: (CloseCode.FORBIDDEN, "account disabled"),
}


class NotificationConsumer(AsyncWebsocketConsumer):
    user: Any = None
    group: str | None = None
    last_sent_id = 0
    expiry_task: asyncio.Task | None = None

    async def connect(self) -> None:
        # Accept first, then close with a code: a browser sees 1006 for a refused
        # handshake and cannot tell "retry" from "sign in again".
        await self.accept()
        auth_error = self.scope.get("auth_error")
        if auth_error:
            code, reason = AUTH_CLOSE[auth_error]
            await self.close(code=code, reason=reason)
            return
        self.user = self.scope["user"]
        self.group = services.user_group(self.user.pk)
        # Join before replaying: anything committed after the replay query arrives
        # live, anything before is in the replay, and ids already sent are skipped.
        try:
            await asyncio.wait_for(
                self.channel_layer.group_add(self.group, self.channel_name), timeout=LAYER_TIMEOUT_SECONDS
            )
        except Exception:
            logger.exception("joining %s failed; asking the client to come back", self.group)
            self.group = None
            await self.close(code=CloseCode.TRY_AGAIN_LATER, reason="notifications unavailable: reconnect with since")
            return
        expires_at = self.scope.get("token_expires_at")
        if expires_at:
            self.expiry_task = asyncio.ensure_future(self._close_when_token_expires(expires_at))
        try:
            since = self._since()
        except ValueError:
            await self._error("invalid_since", "since must be a notification id (a whole number ≥ 0); nothing was replayed.")
            since = None
        if since is None:
            # Live from now on: later pushes are judged against the newest existing id.
            self.last_sent_id = await database_sync_to_async(latest_notification_id)(user_id=self.user.pk)
        else:
            await self._replay(since)
        await self._send_unread_count(await database_sync_to_async(unread_count)(user_id=self.user.pk))

    def _since(self) -> int | None:
        """The `since` query parameter; ValueError when it is not a whole number ≥ 0."""
        values = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("since")
        if not values or values[0] == "":
            return None
        since = int(values[0])
        if since < 0:
            raise ValueError(since)
        return since

    async def _replay(self, since: int) -> None:
        self.last_sent_id = since
        while True:
            batch = await database_sync_to_async(notifications_after)(
                user_id=self.user.pk, after_id=self.last_sent_id, limit=REPLAY_BATCH
            )
            for notification in batch:
                await self._send_notification(notification_payload(notification), replay=True)
            if len(batch) < REPLAY_BATCH:
                break

    async def _close_when_token_expires(self, expires_at: int) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        code, reason = AUTH_CLOSE[AuthError.EXPIRED]
        await self.close(code=code, reason=reason)

    async def disconnect(self, code: int) -> None:
        if self.expiry_task:
            self.expiry_task.cancel()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    # --- client → server ---------------------------------------------------------

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
            message = json.loads(text_data)
        except ValueError:
            await self._error("invalid_json", "Frames must be JSON objects.")
            return
        if not isinstance(message, dict):
            await self._error("invalid_message", 'Frames must be JSON objects like {"type": "ping"}.')
            return
        handler = {
            "ping": self._on_ping,
            "mark_read": self._on_mark_read,
            "mark_all_read": self._on_mark_all_read,
        }.get(message.get("type"))
        if handler is None:
            await self._error("unknown_type", "Known types: ping, mark_read, mark_all_read.")
            return
        await handler(message)

    async def _on_ping(self, message: dict) -> None:
        await self._send_json({"type": "pong"})

    async def _on_mark_read(self, message: dict) -> None:
        notification_id = message.get("id")
        if isinstance(notification_id, bool) or not isinstance(notification_id, int):
            await self._error("invalid_id", "mark_read needs an integer id.")
            return
        try:
            await database_sync_to_async(self._mark_read)(notification_id)
        except ObjectDoesNotExist:
            await self._error("not_found", f"No notification {notification_id}.")

    def _mark_read(self, notification_id: int) -> None:
        notification = Notification.objects.get(pk=notification_id, user=self.user)
        services.notification_mark_read(notification=notification)

    async def _on_mark_all_read(self, message: dict) -> None:
        marked = await database_sync_to_async(services.notification_mark_all_read)(user=self.user)
        await self._send_json({"type": "marked_all_read", "data": {"marked": marked}})

    # --- server → client (group messages) -----------------------------------------

    async def notification_created(self, event: dict) -> None:
        payload = event["notification"]
        if payload["id"] <= self.last_sent_id:
            return  # already sent during the replay
        if event.get("previous_id", 0) > self.last_sent_id:
            # A push before this one never arrived (the channel layer lost it): send
            # everything missed, this one included, from the database, in order.
            await self._replay(self.last_sent_id)
        else:
            await self._send_notification(payload)
        await self._send_unread_count(event["unread_count"])

    async def notification_unread_count(self, event: dict) -> None:
        await self._send_unread_count(event["unread_count"])

    async def _send_notification(self, payload: dict, replay: bool = False) -> None:
        await self._send_json({"type": "notification", "data": payload, **({"replay": True} if replay else {})})
        self.last_sent_id = max(self.last_sent_id, payload["id"])

    async def _send_unread_count(self, count: int) -> None:
        await self._send_json({"type": "unread_count", "data": {"unread_count": count}})

    async def _error(self, error: str, message: str) -> None:
        await self._send_json({"type": "error", "error": error, "message": message})

    async def _send_json(self, content: dict) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":")))
