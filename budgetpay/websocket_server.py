"""What Daphne does not do for our sockets on its own (budgetpay.asgi installs this).

1. A frame over the size cap. Daphne caps a WebSocket message and a frame at 1 MiB
   (`websocket_max_message_size`, `websocket_max_frame_size`, passed to autobahn as
   `maxMessagePayloadSize` and `maxFramePayloadSize`). autobahn notices a larger one
   in `WebSocketProtocol._max_message_size_exceeded`, which fails the connection; Daphne
   leaves autobahn's server default `failByDrop=True`, so the TCP connection is cut
   without a close frame and the client sees 1006, indistinguishable from a network
   fault, and retries the same frame. A closing handshake with 1009 (message too big)
   and a reason tells it not to. Frames under the cap reach the consumer, which answers
   the ones over its own limit with an error frame and stays open.
2. The close reason. Daphne sends an application's `websocket.close` with its code
   only and drops the `reason` (ASGI spec 2.3), so the reasons docs/websocket.md
   documents next to each code would never reach a client.
"""

from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol

MESSAGE_TOO_BIG = 1009
MESSAGE_TOO_BIG_REASON = "message too big: frames are limited to 1 MiB"


class ClosingWebSocketProtocol(WebSocketProtocol):
    """Daphne's protocol, closing with 1009 past the size cap and sending close reasons."""

    def _max_message_size_exceeded(self, msg_size: int, max_msg_size: int, reason: str) -> None:
        if self.state != self.STATE_OPEN:
            return
        # failedByMe makes autobahn discard the rest of the oversized frame's payload
        # instead of buffering it, while it still reads the client's close reply.
        self.failedByMe = True
        self.sendCloseFrame(code=MESSAGE_TOO_BIG, reasonUtf8=MESSAGE_TOO_BIG_REASON.encode(), isReply=False)

    def handle_reply(self, message: dict) -> None:
        if message.get("type") == "websocket.close" and self.state != self.STATE_CONNECTING:
            # autobahn truncates the reason to the 123 bytes a close frame holds.
            self.sendClose(code=message.get("code") or 1000, reason=message.get("reason") or None)
            return
        super().handle_reply(message)


def install_closing_websocket_protocol() -> None:
    """Make Daphne's WebSocket factory build the closing protocol."""
    WebSocketFactory.protocol = ClosingWebSocketProtocol
