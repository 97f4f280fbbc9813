"""The notification socket: `/api/v1/notification/ws?token=<access JWT>[&since=<id>][&unread_count=1][&progress=1]`.

Without a flag a client receives only `notification` frames (and the replies to what
it sends): the seed's example treats every frame as a notification. `unread_count`
frames are opt-in, like every later kind (see AuthenticatedJsonConsumer.opt_in_frames):
`import.progress` frames, the progress of a large statement import's job, come with
`?progress=1`.

The protocol (messages, close codes, resume) is documented in docs/websocket.md.
"""

import asyncio
import logging
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.core.exceptions import ObjectDoesNotExist

from budgetpay.sockets import user_group
from budgetpay.websocket import LAYER_TIMEOUT_SECONDS, AuthenticatedJsonConsumer, CloseCode
from notifications import services
from notifications.models import Notification
from notifications.selectors import latest_notification_id, notification_payload, notifications_after, unread_count

logger = logging.getLogger(__name__)

REPLAY_BATCH = 200


class NotificationConsumer(AuthenticatedJsonConsumer):
    handlers = {"ping": "on_ping", "mark_read": "on_mark_read", "mark_all_read": "on_mark_all_read"}
    opt_in_frames = {"unread_count": "unread_count", "import.progress": "progress"}
    group: str | None = None
    last_sent_id = 0

    async def on_authenticated(self) -> None:
        self.group = user_group(self.user.pk)
        # Join before replaying: anything committed after the replay query arrives
        # live, anything before is in the replay, and ids already sent are skipped.
        try:
            await asyncio.wait_for(
                self.channel_layer.group_add(self.group, self.channel_name), timeout=LAYER_TIMEOUT_SECONDS
            )
        except Exception:
            logger.exception("joining %s failed; asking the client to come back", self.group)
            self.group = None
            await self.end(CloseCode.TRY_AGAIN_LATER, "notifications unavailable: reconnect with since")
            return
        try:
            since = self._since()
        except ValueError:
            await self.send_error(
                "invalid_since", "since must be a notification id (a whole number ≥ 0); nothing was replayed."
            )
            since = None
        if since is None:
            # Live from now on: later pushes are judged against the newest existing id.
            self.last_sent_id = await database_sync_to_async(latest_notification_id)(user_id=self.user.pk)
        else:
            await self._replay(since)
        if self.wants("unread_count"):
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

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        if self.group:
            try:
                await asyncio.wait_for(
                    self.channel_layer.group_discard(self.group, self.channel_name), LAYER_TIMEOUT_SECONDS
                )
            except Exception:
                logger.warning("leaving %s failed (the channel layer is unreachable)", self.group, exc_info=True)

    # --- client → server ---------------------------------------------------------

    async def on_mark_read(self, message: dict) -> None:
        notification_id = message.get("id")
        if isinstance(notification_id, bool) or not isinstance(notification_id, int):
            await self.send_error("invalid_id", "mark_read needs an integer id.")
            return
        try:
            await database_sync_to_async(self._mark_read)(notification_id)
        except ObjectDoesNotExist:
            await self.send_error("not_found", f"No notification {notification_id}.")

    def _mark_read(self, notification_id: int) -> None:
        notification = Notification.objects.get(pk=notification_id, user=self.user)
        services.notification_mark_read(notification=notification)

    async def on_mark_all_read(self, message: dict) -> None:
        marked = await database_sync_to_async(services.notification_mark_all_read)(user=self.user)
        await self.send_json({"type": "marked_all_read", "data": {"marked": marked}})

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

    async def import_progress(self, event: dict) -> None:
        """A large import's job finished a batch (transactions.import_jobs); dropped unless `?progress=1`."""
        await self.send_json(
            {
                "type": "import.progress",
                "data": {name: event[name] for name in ("job_id", "state", "processed", "total")},
            }
        )

    async def _send_notification(self, payload: dict, replay: bool = False) -> None:
        await self.send_json({"type": "notification", "data": payload, **({"replay": True} if replay else {})})
        self.last_sent_id = max(self.last_sent_id, payload["id"])

    async def _send_unread_count(self, count: int) -> None:
        await self.send_json({"type": "unread_count", "data": {"unread_count": count}})
