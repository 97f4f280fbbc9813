"""Which browser pages may open a WebSocket to us.

A browser sends the page's origin (scheme, host and port) with every WebSocket
handshake and attaches the site's cookies whatever page asked, so the origin is
the only thing that tells our own pages from a page elsewhere, including one on
the same host but another port (`http://localhost:6666` against a server on
`localhost:8000`: cookies do not tell ports apart). The rule is Django's CSRF
origin check, applied to the handshake:

- the origin is this server's own: scheme, host and port equal to the
  request's `Host` (which must itself be in ALLOWED_HOSTS), or
- it is listed in CSRF_TRUSTED_ORIGINS (exactly, or a `https://*.example.com`
  subdomain pattern), the one list an operator keeps for cross-origin pages.

A handshake without an `Origin` header is not from a browser (a mobile app, a
script): it carries no ambient cookie and must authenticate with its token, so
it passes. `Origin: null` (sandboxed frames, files) is a browser whose page we
cannot name and is refused.
"""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import is_same_domain, split_domain_port, validate_host


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _is_secure(scope: dict) -> bool:
    """As Django's `request.is_secure()`: the scheme, or the proxy's header when
    SECURE_PROXY_SSL_HEADER names one (a browser cannot add headers to a handshake)."""
    if scope.get("scheme") in ("wss", "https"):
        return True
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        meta_name, secure_value = proxy_header
        header = meta_name.removeprefix("HTTP_").lower().replace("_", "-").encode("latin-1")
        value = _header(scope, header)
        if value is not None:
            return value.split(",", 1)[0].strip() == secure_value
    return False


def origin_allowed(*, origin: str, host: str | None, secure: bool) -> bool:
    """Whether a browser page at `origin` may use this server's cookies, for a
    request that arrived with `host` (the Host header) over TLS or not."""
    if host:
        domain, _port = split_domain_port(host)
        if domain and validate_host(domain, settings.ALLOWED_HOSTS):
            own_origin = f"{'https' if secure else 'http'}://{host}"
            if origin.lower() == own_origin.lower():
                return True
    trusted = getattr(settings, "CSRF_TRUSTED_ORIGINS", [])
    if origin in trusted:
        return True
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    if not parsed.scheme or not parsed.netloc:
        return False
    subdomain_patterns = (urlsplit(pattern) for pattern in trusted if "*" in pattern)
    return any(
        is_same_domain(parsed.netloc.lower(), pattern.netloc.lstrip("*"))
        for pattern in subdomain_patterns
        if pattern.scheme == parsed.scheme
    )


def _request_host(scope: dict) -> str | None:
    """The host the request was addressed to, as Django's `request.get_host()` reads it
    (X-Forwarded-Host only when USE_X_FORWARDED_HOST is on), so the page's CSRF check and
    the socket's origin check agree on what "our own origin" is."""
    if getattr(settings, "USE_X_FORWARDED_HOST", False):
        forwarded = _header(scope, b"x-forwarded-host")
        if forwarded:
            return forwarded
    return _header(scope, b"host")


def websocket_origin_allowed(scope: dict) -> bool:
    origin = _header(scope, b"origin")
    if origin is None:
        return True
    return origin_allowed(origin=origin, host=_request_host(scope), secure=_is_secure(scope))


class SameOriginWebSocketValidator:
    """ASGI middleware: a handshake from a browser page of another origin is
    refused before it is accepted (Daphne answers it 403)."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not websocket_origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
