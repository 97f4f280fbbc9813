"""Pieces every socket of the product shares at the ASGI level."""


def user_group(user_id: int) -> str:
    """The Channels group every socket of one person joins: notifications, progress frames
    and control messages are sent to it from any app."""
    return f"notifications.user.{user_id}"


async def accept_then_close(receive, send, code: int, reason: str) -> None:
    """Answer a handshake with a close code and reason from outside a consumer: a browser
    sees nothing of an HTTP refusal (only 1006), but it does see a close code."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": code, "reason": reason})
