"""The client's address: one decision, made from one setting.

`TRUSTED_PROXY_COUNT` says how many proxies we run in front of Daphne (0: Daphne faces
clients; 1: the shipped nginx; 2: a load balancer and nginx). Each proxy appends the
address it saw to `X-Forwarded-For`, so only the last `TRUSTED_PROXY_COUNT` entries were
written by us; everything to their left was written by the client and proves nothing.
The address the outermost trusted proxy saw is therefore `addrs[-TRUSTED_PROXY_COUNT]`.

Every per-client limit (DRF throttles, allauth's rate limits) keys on `client_ip()`, so
a header the client writes never opens a new bucket. Daphne's own `--proxy-headers` is
not used: it takes the leftmost entry, which is the client's to choose.
"""

import ipaddress
from collections.abc import Mapping

from django.conf import settings
from django.http import HttpRequest

# What all requests whose peer address cannot be read share (e.g. a Unix socket with no
# proxy in front): one bucket for them all is safe; one bucket each would not be.
UNKNOWN_CLIENT = "unknown"

# The longest address text worth parsing: a bracketed IPv6 address with a zone and a port.
_MAX_ADDRESS_LENGTH = 64


def client_ip(request_or_meta: HttpRequest | Mapping[str, object]) -> str:
    """The address of the client, as the outermost trusted proxy (or Daphne) saw it.

    Takes a Django or DRF request, or a request's META. Never raises: a missing,
    short or malformed `X-Forwarded-For` falls back to the peer address (`REMOTE_ADDR`).
    """
    meta = getattr(request_or_meta, "META", request_or_meta)
    peer = _clean(meta.get("REMOTE_ADDR")) or UNKNOWN_CLIENT
    trusted = max(int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0), 0)
    if trusted == 0:
        return peer
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if not isinstance(forwarded, str) or not forwarded.strip():
        return peer  # the request did not come through our proxy
    # Only the last `trusted` entries matter; rsplit stops there, whatever the header's length.
    entries = forwarded.rsplit(",", trusted)
    if len(entries) < trusted:
        return peer  # fewer hops than proxies: it bypassed (some of) them
    return _clean(entries[-trusted]) or peer


def _clean(value: object) -> str | None:
    """A canonical IP address from one header entry, or None.

    Accepts what proxies write: `203.0.113.7`, `203.0.113.7:5123`, `2001:db8::1`,
    `[2001:db8::1]:5123`.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > _MAX_ADDRESS_LENGTH:
        return None
    has_port, port = False, ""
    if text.startswith("["):
        text, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        has_port, port = bool(rest), rest[1:]
    elif text.count(":") == 1:
        text, _, port = text.partition(":")  # IPv4 with a port
        has_port = True
    if has_port and not (port.isascii() and port.isdigit()):
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # a dual-stack listener's ::ffff:a.b.c.d is a.b.c.d
    return str(address)
