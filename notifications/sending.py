"""What a channel's sender answers for one try of a delivery (notifications.outbox reads it)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SendResult:
    ok: bool
    status_code: int | None = None
    error: str = ""
    # False: trying again cannot help (the target refuses for good): give up now.
    retry: bool = True
    # The target is gone for good (a push subscription answered 404/410): remove it.
    gone: bool = False
    # Not a try at all: ask again after this many seconds (a per-person rate limit).
    defer_seconds: float | None = None
