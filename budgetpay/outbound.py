"""The one way Budget Pay calls a URL that a person gave it (webhook URLs, Web Push endpoints).

Such a URL may point anywhere, including inside our own network (the cloud metadata service at
169.254.169.254, a database on 10.0.0.5, an admin page on localhost). So a call:

- takes http and https only, with a host and without user:password@;
- resolves the host once and refuses when ANY of its addresses is not a public (`is_global`)
  unicast address, unless the address lies in one of `WEBHOOKS_ALLOWED_NETWORKS` (CIDR
  strings; a home server lists its LAN). An IPv4 address inside IPv6 (mapped, 6to4, Teredo,
  NAT64) is judged as that IPv4 address; a mapped one is refused unless its IPv4 is allowed;
- connects to the very address it checked (no second lookup, so a name cannot resolve to a
  public address for the check and a private one for the call), sending the original host in
  `Host` and in TLS (SNI and certificate verification with the default context);
- follows no redirect (a 3xx is returned as it came; the caller counts it as a failure);
- is bounded: `OUTBOUND_TIMEOUT_SECONDS` for the connection and each read, twice that for the
  whole call (a server trickling bytes is cut off), and the first `OUTBOUND_MAX_RESPONSE_BYTES`
  of the body read (the rest is never read).

`check_url()` raises `OutboundRefused` (its text is fit to show the person who typed the URL);
`post()` raises that or `OutboundError` (the call failed: refused, reset, timed out, TLS, a name
that did not resolve; worth retrying later).
"""

from __future__ import annotations

import errno
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

USER_AGENT = "BudgetPay-Webhooks/1"
# Longer than any webhook URL or push endpoint; urlsplit is linear, this caps its work anyway.
MAX_URL_LENGTH = 2048
# The whole call may take this many times the per-step timeout.
TOTAL_TIME_FACTOR = 2
_READ_CHUNK = 16 * 1024
# Set from the call itself, never by the caller.
_RESERVED_HEADERS = frozenset({"host", "content-length", "transfer-encoding"})
# NAT64's well-known prefix (RFC 6052): the last 32 bits are the IPv4 address reached.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class OutboundRefused(Exception):
    """The URL may not be called: bad scheme, no host, or its address is private/loopback/...
    and not allowed. str() is a reason fit to show a person."""


class OutboundError(Exception):
    """The call was made but did not complete: connection refused/reset, timeout, TLS failure,
    response too large... str() is a short reason."""


@dataclass(frozen=True)
class OutboundResponse:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes  # at most max_response_bytes


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # as http.client and TLS take it: no brackets, lower case
    port: int
    path: str  # the request target: path and query


class _Unresolved(Exception):
    """The host name has no address (or the lookup failed)."""


def check_url(url: str) -> None:
    """Raise OutboundRefused unless `url` may be called now (its host resolved and every address
    checked). A name that does not resolve is refused too."""
    target = _parse(url)
    try:
        _addresses(target)
    except _Unresolved as error:
        raise OutboundRefused(str(error)) from None


def post(
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    timeout: float | None = None,
    max_response_bytes: int | None = None,
) -> OutboundResponse:
    """POST `body` to `url` with `headers` (plus User-Agent unless given; Host and Content-Length
    are the call's own). The response as it came, its body cut at `max_response_bytes`.

    OutboundRefused when the URL or an address of its host may not be called (nothing is sent);
    OutboundError when the call failed, a host name that did not resolve included."""
    if timeout is None:
        timeout = float(getattr(settings, "OUTBOUND_TIMEOUT_SECONDS", 5.0))
    if max_response_bytes is None:
        max_response_bytes = int(getattr(settings, "OUTBOUND_MAX_RESPONSE_BYTES", 64 * 1024))
    if timeout <= 0 or max_response_bytes < 0:
        raise ValueError("timeout must be positive and max_response_bytes not negative")
    request_headers = _request_headers(headers)
    target = _parse(url)
    try:
        addresses = _addresses(target)
    except _Unresolved as error:
        raise OutboundError(str(error)) from None

    deadline = time.monotonic() + TOTAL_TIME_FACTOR * timeout
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(target, addresses, timeout=timeout, deadline=deadline)
    else:
        connection = _PinnedHTTPConnection(target, addresses, timeout=timeout, deadline=deadline)
    # Past the deadline the watchdog shuts the socket down, which ends any read in progress.
    watchdog = threading.Timer(deadline - time.monotonic(), connection.expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("POST", target.path, body=body, headers=request_headers)
        response = connection.getresponse()
        content = _read_at_most(response, max_response_bytes)
        if connection.expired:
            raise OutboundError("timed out")
        return OutboundResponse(status=response.status, headers=_response_headers(response), body=content)
    except (OSError, http.client.HTTPException) as error:
        raise OutboundError("timed out" if connection.expired else _reason(error)) from None
    finally:
        watchdog.cancel()
        watchdog.join()  # before close(): the watchdog never touches a socket number reused since
        connection.close()


def _parse(url: str) -> _Target:
    if not isinstance(url, str) or not url:
        raise OutboundRefused("The address is empty.")
    if len(url) > MAX_URL_LENGTH:
        raise OutboundRefused(f"The address is longer than {MAX_URL_LENGTH} characters.")
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in url):
        raise OutboundRefused("The address contains spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise OutboundRefused("The address is not a valid URL (check the host and the port).") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise OutboundRefused("The address must start with http:// or https://.")
    if "@" in parts.netloc:
        raise OutboundRefused("The address may not contain a user name or password.")
    host = parts.hostname
    if not host:
        raise OutboundRefused("The address has no host.")
    if port == 0:
        raise OutboundRefused("The port must be between 1 and 65535.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    if not path.isascii():
        raise OutboundRefused("The path of the address must be ASCII (percent-encode other characters).")
    return _Target(scheme=scheme, host=host, port=port or (443 if scheme == "https" else 80), path=path)


def _addresses(target: _Target) -> list[Address]:
    """Every address of the target's host, each one checked; the one DNS lookup of a call."""
    allowed = _allowed_networks()
    try:
        addresses = [ipaddress.ip_address(target.host)]
    except ValueError:
        addresses = _resolve(target)
    for address in addresses:
        if _blocked(address, allowed):
            raise OutboundRefused(
                f"The address {target.host} is {'' if str(address) == target.host else f'at {address}, '}"
                "a private or reserved network address, which may not be called."
            )
    return addresses


def _resolve(target: _Target) -> list[Address]:
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise _Unresolved(f"The host {target.host} could not be found.") from None
    addresses: list[Address] = []
    for family, *_rest, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ipaddress.ip_address(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise _Unresolved(f"The host {target.host} has no address.")
    return addresses


def _allowed_networks() -> list[Network]:
    entries = getattr(settings, "WEBHOOKS_ALLOWED_NETWORKS", [])
    if isinstance(entries, str):
        raise ImproperlyConfigured("WEBHOOKS_ALLOWED_NETWORKS must be a list of networks, not one string.")
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except (TypeError, ValueError):
            raise ImproperlyConfigured(
                f"WEBHOOKS_ALLOWED_NETWORKS: {entry!r} is not a network (write it as CIDR, e.g. 192.168.1.0/24)."
            ) from None
    return networks


def _blocked(address: Address, allowed: list[Network]) -> bool:
    if any(address in network for network in allowed):
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            # Only an allowed IPv4 address passes in this form; a public one has no need of it.
            return not any(address.ipv4_mapped in network for network in allowed)
        embedded = _embedded_ipv4(address)
        if embedded is not None and _blocked(embedded, allowed):
            return True
    return not address.is_global or any(
        (
            address.is_private,
            address.is_loopback,
            address.is_link_local,
            address.is_multicast,
            address.is_reserved,
            address.is_unspecified,
        )
    )


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's address (the server's is public by design)
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _request_headers(headers: dict[str, str]) -> dict[str, str]:
    names = {name.lower() for name in headers}
    if names & _RESERVED_HEADERS:
        raise ValueError(f"post() sets {', '.join(sorted(names & _RESERVED_HEADERS))} itself")
    return headers if "user-agent" in names else {**headers, "User-Agent": USER_AGENT}


def _read_at_most(response: http.client.HTTPResponse, limit: int) -> bytes:
    chunks = []
    remaining = limit
    while remaining > 0:
        chunk = response.read(min(remaining, _READ_CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _response_headers(response: http.client.HTTPResponse) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in response.getheaders():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def _reason(error: BaseException) -> str:
    """A short reason for a failed call, without the server's words or our internals."""
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"TLS certificate not accepted ({error.verify_message})"
    if isinstance(error, ssl.SSLError):
        return "TLS failure"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(error, ConnectionError):
        return "connection reset"
    if isinstance(error, http.client.IncompleteRead):
        return "the response ended early"
    if isinstance(error, http.client.HTTPException):
        return "not a valid HTTP response"
    if error.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return "network unreachable"
    return "connection failed"


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to checked addresses, never to what the host name resolves to later."""

    def __init__(self, target: _Target, addresses: list[Address], *, timeout: float, deadline: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.addresses = addresses
        self.deadline = deadline
        self.expired = False
        self._lock = threading.Lock()
        self._watched_socket: socket.socket | None = None

    def connect(self) -> None:
        self.sock = self._watched(self._open_socket())

    def _open_socket(self) -> socket.socket:
        """A TCP connection to the first checked address that answers (like create_connection,
        which would look the name up again)."""
        last_error: OSError = TimeoutError()
        for address in self.addresses:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                break
            family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.settimeout(min(self.timeout, remaining))
                sock.connect((str(address), self.port))
            except OSError as error:
                sock.close()
                last_error = error
                continue
            # As http.client's own connect(): the body, sent apart, does not wait for an ACK.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        raise last_error

    def _watched(self, sock: socket.socket) -> socket.socket:
        """`sock`, now the one the watchdog shuts down at the deadline."""
        with self._lock:
            if self.expired:
                sock.close()
                raise TimeoutError()
            self._watched_socket = sock
        return sock

    def expire(self) -> None:
        """Called by the watchdog at the deadline: end whatever the call is waiting for."""
        with self._lock:
            self.expired = True
            if self._watched_socket is not None:
                # The plain socket's shutdown even for a TLS one: SSLSocket.shutdown would also
                # drop its TLS state under the reading thread; this only makes the reads end.
                try:
                    socket.socket.shutdown(self._watched_socket, socket.SHUT_RDWR)
                except OSError:
                    pass


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """The same, in TLS: the certificate is verified for the host name in the URL."""

    default_port = http.client.HTTPS_PORT

    def connect(self) -> None:
        context = ssl.create_default_context()
        # The handshake starts once the watchdog holds the TLS socket, so it is bounded too.
        sock = context.wrap_socket(self._open_socket(), server_hostname=self.host, do_handshake_on_connect=False)
        self.sock = self._watched(sock)
        sock.do_handshake()
