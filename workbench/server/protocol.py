"""The REST server's HTTP/1.1 connections, with the limits of ``server/limits.py`` enforced.

uvicorn's httptools protocol parses and dispatches; :class:`GuardedHttpProtocol` adds what
it does not guarantee: a cap on the size of a request head (431), a deadline for a head
and for a body once begun (408 / close), a keep-alive idle deadline, and, through one
:class:`ConnectionGate` per server, a cap on open connections. The state it tracks comes
from the parser's own callbacks (``on_message_begin``, ``on_headers_complete``,
``on_message_complete``) and uvicorn's ``on_response_complete``; the tests in
``tests/server/test_limits.py`` pin each behaviour, so a uvicorn that changed them fails
there rather than in production.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from workbench.server.limits import ConnectionLimits

__all__ = ["ConnectionGate", "GuardedHttpProtocol", "protocol_factory"]


def error_bytes(status: int, message: str, *, retry_after: int | None = None) -> bytes:
    """A complete ``{"error": message}`` response that closes the connection."""
    body = json.dumps({"error": message}).encode()
    head = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        "content-type: application/json",
        f"content-length: {len(body)}",
        "connection: close",
    ]
    if retry_after is not None:
        head.append(f"retry-after: {retry_after}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body


class ConnectionGate:
    """Admits connections up to a cap, making room by closing the longest client-bound one.

    A connection is *client-bound* while the server waits on its client: idle between
    requests, or receiving a request head or body. It is *server-bound* while the server
    works on a request it has whole (its response is not complete). At the cap, a new
    connection displaces the connection that has been client-bound longest (so idle or
    trickling connections cannot crowd out a client that sends a request), and is itself
    refused only when every open connection is server-bound.

    Args:
        max_connections: the cap.
    """

    def __init__(self, max_connections: int) -> None:
        self.max_connections = max_connections
        self._open: set[GuardedHttpProtocol] = set()
        self._client_bound: dict[GuardedHttpProtocol, None] = {}  # oldest first

    def __len__(self) -> int:
        return len(self._open)

    @property
    def client_bound_count(self) -> int:
        """How many open connections wait on their clients."""
        return len(self._client_bound)

    def admit(self, connection: GuardedHttpProtocol) -> bool:
        """Let ``connection`` in (client-bound), closing another if needed; False if full."""
        if len(self._open) >= self.max_connections:
            longest = next(iter(self._client_bound), None)
            if longest is None:
                return False
            longest.evict()
        self._open.add(connection)
        self._client_bound[connection] = None
        return True

    def client_bound(self, connection: GuardedHttpProtocol) -> None:
        """``connection`` now waits on its client (it goes to the back of the queue)."""
        if connection in self._open:
            self._client_bound.pop(connection, None)
            self._client_bound[connection] = None

    def server_bound(self, connection: GuardedHttpProtocol) -> None:
        """``connection`` now waits on the server: it is not displaced."""
        self._client_bound.pop(connection, None)

    def leave(self, connection: GuardedHttpProtocol) -> None:
        """``connection`` is closed (idempotent)."""
        self._open.discard(connection)
        self._client_bound.pop(connection, None)


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with head, timeout and connection limits.

    A head's size is the raw bytes received while it is incomplete (so an endless header
    line is cut off at the cap) and, once complete, the parsed request line and headers.
    A head that begins inside a read that completed an earlier request (pipelining) is
    counted from the next read on, so it may exceed the cap by at most that one read.

    Args:
        gate: the server's connection gate.
        limits: the limits to enforce.
        *args: passed to uvicorn's protocol (``config``, ``server_state``...).
        **kwargs: likewise.
    """

    def __init__(self, *args: Any, gate: ConnectionGate, limits: ConnectionLimits, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._gate = gate
        self._limits = limits
        self._timer: asyncio.TimerHandle | None = None
        self._refused = False
        self._between = True  # no request begun since the last one ended
        self._in_head = False
        self._in_body = False
        self._raw_head_bytes = 0  # bytes received while the current head is incomplete
        self._parsed_head_bytes = 0  # its request line and headers, as parsed
        self._heads_done = 0
        self._head_too_large = False
        self._in_flight = 0  # requests handed to the app, response not complete

    # Connection life

    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # type: ignore[override]
        """Admit the connection through the gate, or refuse it with 503."""
        if not self._gate.admit(self):
            self._refused = True
            assert isinstance(transport, asyncio.Transport)
            transport.write(
                error_bytes(503, "The server has too many open connections", retry_after=1)
            )
            transport.close()
            return
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm(self._limits.keep_alive_timeout, self._idle_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection (a refused one was never uvicorn's)."""
        self._cancel_timer()
        if self._refused:
            return
        self._gate.leave(self)
        super().connection_lost(exc)

    def evict(self) -> None:
        """Close at once to make room for a new connection (called by the gate)."""
        self._gate.leave(self)
        self._cancel_timer()
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()

    # Bytes

    def data_received(self, data: bytes) -> None:
        """Feed the parser, cutting off a head that grows past the cap."""
        if self._refused or self.transport.is_closing():
            return
        counting = self._between or self._in_head
        heads_before = self._heads_done
        super().data_received(data)
        if self._head_too_large:
            self._refuse_head()
            return
        if counting and self._in_head and self._heads_done == heads_before:
            self._raw_head_bytes += len(data)
            if self._raw_head_bytes > self._limits.max_head_bytes:
                self._refuse_head()

    # Parser callbacks (httptools calls them by these names)

    def on_message_begin(self) -> None:
        """A request head begins: its deadline starts now."""
        super().on_message_begin()
        self._between, self._in_head = False, True
        self._raw_head_bytes = self._parsed_head_bytes = 0
        if self._in_flight == 0:
            self._gate.client_bound(self)
            self._arm(self._limits.head_timeout, self._head_timeout)

    def on_url(self, url: bytes) -> None:
        """Count the request target towards the head's size."""
        self._parsed_head_bytes += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        """Count each header line towards the head's size."""
        self._parsed_head_bytes += len(name) + len(value) + 4  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        """Dispatch the request, unless its head is too large; the body's deadline starts."""
        self._in_head, self._in_body = False, True
        self._heads_done += 1
        self._raw_head_bytes = 0
        if self._parsed_head_bytes > self._limits.max_head_bytes:
            self._head_too_large = True  # answered once the parser returns
            return
        self._in_flight += 1
        if self._in_flight == 1:
            self._arm(self._limits.body_timeout, self._body_timeout)
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        """Pass the body on (nothing of a refused request)."""
        if not self._head_too_large:
            super().on_body(body)

    def on_message_complete(self) -> None:
        """The request is whole: the server works on it now, no deadline of ours runs."""
        self._in_body, self._between = False, True
        if self._head_too_large:
            return
        if self._in_flight:
            self._cancel_timer()
            self._gate.server_bound(self)
        super().on_message_complete()

    def on_response_complete(self) -> None:
        """A response is complete: idle again once nothing else is in flight."""
        self._in_flight = max(0, self._in_flight - 1)
        super().on_response_complete()
        if self._in_flight or self.transport.is_closing():
            return
        if self._in_body:  # answered before its body arrived: the body's deadline runs on
            self._arm(self._limits.body_timeout, self._body_timeout)
        elif self._in_head:  # the next request began meanwhile (pipelined)
            self._arm(self._limits.head_timeout, self._head_timeout)
        else:
            self._arm(self._limits.keep_alive_timeout, self._idle_timeout)
        self._gate.client_bound(self)

    # Deadlines

    def _arm(self, delay: float, callback: Callable[[], None]) -> None:
        self._cancel_timer()
        self._timer = self.loop.call_later(delay, callback)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _idle_timeout(self) -> None:
        self._close()

    def _head_timeout(self) -> None:
        seconds = f"{self._limits.head_timeout:g}"
        self._close(408, f"The request head did not arrive within {seconds} s")

    def _body_timeout(self) -> None:
        self._close()  # the app may be answering already: no response of ours

    def _refuse_head(self) -> None:
        size = self._limits.max_head_bytes
        self._close(431, f"The request line and headers exceed {size} bytes")

    def _close(self, status: int | None = None, message: str = "") -> None:
        """Close the connection, first answering ``status`` if no response is under way."""
        self._cancel_timer()
        self._gate.leave(self)
        if self.transport.is_closing():
            return
        if status is not None and self._in_flight == 0:
            self.transport.write(error_bytes(status, message))
        if self.transport.get_write_buffer_size():
            self.transport.abort()  # the client reads nothing: do not wait to flush to it
        else:
            self.transport.close()


def protocol_factory(limits: ConnectionLimits) -> Callable[..., GuardedHttpProtocol]:
    """What to give uvicorn as ``http=``: one gate for every connection of one server."""
    gate = ConnectionGate(limits.max_connections)

    def create(*args: Any, **kwargs: Any) -> GuardedHttpProtocol:
        return GuardedHttpProtocol(*args, gate=gate, limits=limits, **kwargs)

    create.gate = gate  # type: ignore[attr-defined]  # for tests and the benchmark
    return create
