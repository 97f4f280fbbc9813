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

A web front-end on its own domain, listed in CORS_ALLOWED_ORIGINS (the REST API's
list; scheme, host and port compared), may open a socket too, but with its token
only: the validator marks the scope (SOCKET_ORIGIN_SCOPE_KEY = SocketOrigin.CORS)
and the authentication middleware never reads the session of such a socket, so
our cookie cannot be used from another origin.
"""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import is_same_domain, split_domain_port, validate_host

SOCKET_ORIGIN_SCOPE_KEY = "socket_origin"
DEFAULT_PORTS = {"http": 80, "https": 443}


class SocketOrigin:
    """Where a handshake comes from, as the validator puts it in the scope."""

    NO_BROWSER = "no_browser"  # no Origin header: a token client (app, script)
    SITE = "site"  # our own pages (or CSRF_TRUSTED_ORIGINS): token or session
    CORS = "cors"  # a front-end in CORS_ALLOWED_ORIGINS: token only


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


def _origin_key(origin: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a bare origin such as `https://app.example.com`, the
    default port filled in; None for anything that is not one (a path, `null`)."""
    try:
        parsed = urlsplit(origin.strip())
        port = parsed.port
    except ValueError:
        return None
    scheme = parsed.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parsed.hostname:
        return None
    if parsed.path not in ("", "/") or parsed.query or parsed.fragment or "@" in parsed.netloc:
        return None
    return scheme, parsed.hostname.lower(), port or DEFAULT_PORTS[scheme]


def cors_origin_allowed(origin: str) -> bool:
    """Whether `origin` is listed in CORS_ALLOWED_ORIGINS (scheme, host and port equal).
    Read with a default: the setting belongs to the REST API's CORS configuration."""
    key = _origin_key(origin)
    if key is None:
        return False
    return any(_origin_key(allowed) == key for allowed in getattr(settings, "CORS_ALLOWED_ORIGINS", None) or [])


def _request_host(scope: dict) -> str | None:
    """The host the request was addressed to, as Django's `request.get_host()` reads it
    (X-Forwarded-Host only when USE_X_FORWARDED_HOST is on), so the page's CSRF check and
    the socket's origin check agree on what "our own origin" is."""
    if getattr(settings, "USE_X_FORWARDED_HOST", False):
        forwarded = _header(scope, b"x-forwarded-host")
        if forwarded:
            return forwarded
    return _header(scope, b"host")


def websocket_origin(scope: dict) -> str | None:
    """The handshake's SocketOrigin, or None when its page may not open a socket at all."""
    origin = _header(scope, b"origin")
    if origin is None:
        return SocketOrigin.NO_BROWSER
    if origin_allowed(origin=origin, host=_request_host(scope), secure=_is_secure(scope)):
        return SocketOrigin.SITE
    if cors_origin_allowed(origin):
        return SocketOrigin.CORS
    return None


class SameOriginWebSocketValidator:
    """ASGI middleware: a handshake from a browser page of another origin is
    refused before it is accepted (Daphne answers it 403); one from a CORS origin
    goes on marked as such, to be let in by its token only."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.application(scope, receive, send)
        socket_origin = websocket_origin(scope)
        if socket_origin is None:
            return await WebsocketDenier()(scope, receive, send)
        return await self.application({**scope, SOCKET_ORIGIN_SCOPE_KEY: socket_origin}, receive, send)
