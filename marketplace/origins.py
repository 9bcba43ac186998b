"""Which web pages may talk to us: CHAT_ALLOWED_ORIGINS guards the chat websocket and CORS on /api/.

A browser always sends `Origin` on websockets and cross-origin requests, so a page on a site not listed
is refused. Requests without `Origin` (servers, curl, the benches) carry no visitor's cookies or intent
and are let through; so is a page on this server itself (its Origin names the Host it talks to).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.request import split_domain_port, validate_host

CORS_PATH_PREFIX = "/api/"
CORS_METHODS = "GET, OPTIONS"
CORS_MAX_AGE = "600"
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def origin_normalize(origin: str) -> str:
    """`scheme://host[:port]`, lower case, default port dropped; "" for anything that is not an origin."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return ""
    scheme, hostname = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in DEFAULT_PORTS or not hostname or parts.path not in ("", "/") or parts.query or parts.username:
        return ""
    host = f"[{hostname}]" if ":" in hostname else hostname
    return f"{scheme}://{host}" + (f":{port}" if port and port != DEFAULT_PORTS[scheme] else "")


def _matches(origin: str, pattern: str) -> bool:
    if pattern == "*":
        return True
    if "://*." in pattern:  # https://*.example.com: any subdomain, same scheme and port
        scheme, rest = pattern.split("://*.", 1)
        prefix, _, suffix = origin.partition("://")
        return prefix == scheme and suffix.endswith("." + rest)
    return origin == origin_normalize(pattern)


def origin_allowed(origin: str, *, host: str = "", allowed: list[str] | None = None) -> bool:
    """Is a page at `origin` allowed to reach this server (reached as `host`)? Missing origin: yes."""
    if not origin:
        return True
    normalized = origin_normalize(origin)
    if not normalized:
        return False
    if host and urlsplit(normalized).netloc == _host_normalize(host, scheme=urlsplit(normalized).scheme):
        return True
    patterns = settings.CHAT_ALLOWED_ORIGINS if allowed is None else allowed
    return any(_matches(normalized, pattern.strip().lower()) for pattern in patterns)


def _host_normalize(host: str, *, scheme: str) -> str:
    """A Host header as the netloc of an origin with the same scheme (default port dropped)."""
    normalized = origin_normalize(f"{scheme}://{host}")
    return urlsplit(normalized).netloc if normalized else ""


def host_allowed(host: str) -> bool:
    """Whether a Host header names this server (ALLOWED_HOSTS), as Django checks for HTTP requests.

    Websockets skip Django's request handling, so without this a page on a rebinding DNS name could pass
    the origin check with `Host: evil.example` and `Origin: http://evil.example`. No Host header at all
    is no browser (ASGI test clients, probes): allowed.
    """
    if not host:
        return True
    domain, _port = split_domain_port(host)
    return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)


class WebsocketOriginValidator:
    """ASGI middleware: close a websocket handshake for another host or from a page whose origin is not
    allowed (HTTP 403)."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            headers = dict(scope.get("headers", []))
            origin = headers.get(b"origin", b"").decode("latin-1")
            host = headers.get(b"host", b"").decode("latin-1")
            if not host_allowed(host) or not origin_allowed(origin, host=host):
                await receive()  # websocket.connect
                await send({"type": "websocket.close", "code": 4003})
                return
        return await self.application(scope, receive, send)


class CorsMiddleware:
    """Django middleware for /api/: CORS headers for allowed origins, 403 for others, preflight answered."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        origin = request.headers.get("Origin", "")
        if not request.path.startswith(CORS_PATH_PREFIX) or not origin:
            return self.get_response(request)
        response: HttpResponse
        if not origin_allowed(origin, host=request.get_host()):
            response = JsonResponse(
                {
                    "error": {
                        "code": "origin_not_allowed",
                        "message": "This site may not use the API (CHAT_ALLOWED_ORIGINS).",
                    }
                },
                status=403,
            )
        elif request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = CORS_METHODS
            response["Access-Control-Allow-Headers"] = "Content-Type"
            response["Access-Control-Max-Age"] = CORS_MAX_AGE
            response["Access-Control-Allow-Origin"] = origin
        else:
            response = self.get_response(request)
            response["Access-Control-Allow-Origin"] = origin
        response["Vary"] = ", ".join(filter(None, [response.get("Vary", ""), "Origin"]))
        return response
