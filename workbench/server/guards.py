"""ASGI guards in front of every route: the Host check and the request-body cap."""

from __future__ import annotations

from collections.abc import Callable, Collection

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workbench.server.errors import ApiError, error_response
from workbench.server.limits import MAX_BODY_BYTES

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
DEFAULT_MAX_BODY_BYTES = MAX_BODY_BYTES


def loopback_hosts(port: int) -> frozenset[str]:
    """The Host header values a loopback server on ``port`` answers to."""
    return frozenset(f"{name}:{port}" for name in LOOPBACK_NAMES)


class HostGuard:
    """Refuses requests whose Host header is not one of this server's loopback names.

    A page on ``evil.example`` whose name later resolves to 127.0.0.1 (DNS rebinding)
    reaches the socket with ``Host: evil.example:PORT``; answering it would hand the
    page our API. The allowed values include the port, so another local service's name
    does not pass either. The answer is 421 Misdirected Request. A request with more than
    one Host header, or an HTTP/1.1 request with none, is malformed (RFC 9112 section 3.2):
    400, whatever the values.

    Args:
        app: the wrapped ASGI app.
        allowed_hosts: returns the allowed Host values (lower case), asked per request
            because the port may only be known once the socket is bound.
    """

    def __init__(self, app: ASGIApp, allowed_hosts: Callable[[], Collection[str]]) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        hosts = [value for name, value in scope["headers"] if name == b"host"]
        if len(hosts) > 1 or (not hosts and scope.get("http_version") == "1.1"):
            count = f"{len(hosts)} Host headers" if hosts else "no Host header"
            message = f"The request has {count}; HTTP/1.1 requires exactly one"
            await self._refuse(400, message, scope, receive, send)
            return
        host = hosts[0].decode("latin-1") if hosts else ""
        if host.lower() not in self.allowed_hosts():
            shown = repr(host[:80]) if host else "(none)"
            message = f"Host {shown} is not this server; call it via http://127.0.0.1:<port>"
            await self._refuse(421, message, scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(
        status: int, message: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await error_response(status, message)(scope, receive, send)


class BodyLimit:
    """Caps request bodies at ``max_bytes``: 413 ``{"error"}`` beyond it.

    A declared ``Content-Length`` over the cap is refused before anything is read; a
    chunked body is counted as it streams, and the read that crosses the cap raises
    :class:`ApiError` (413) into the route, which answers it.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await error_response(413, self._message())(scope, receive, send)
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise ApiError(413, self._message())
            return message

        await self.app(scope, counting_receive, send)

    def _message(self) -> str:
        return f"Request body exceeds the server's limit of {self.max_bytes} bytes"
