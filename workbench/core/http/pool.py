"""The engine's connection pool: HTTP/1.1 connections kept per origin, opened by one dialer.

Each connection is a :class:`workbench.core.http.wire.Connection`. The pool checks idle
connections out most recent first, drops the expired and the closed, caps the idle ones,
limits the exchanges in flight, and sends an idempotent request once more when a
kept-alive connection turns out to be closed by the server before it answered anything
(RFC 9110 section 9.2.2).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator, Callable, Sequence

from workbench.core.http.netguard import GuardedDialer
from workbench.core.http.wire import (
    ConnectError,
    Connection,
    Header,
    Phase,
    ReadError,
    RemoteProtocolError,
    Target,
    Trace,
    WriteError,
    request_head,
    wants_close,
)

_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})


class Response:
    """A response whose head has arrived; the body is read with :meth:`chunks`.

    Always :meth:`close` it (also after reading the body): that returns the connection
    to the pool, or closes it if the body was not read to the end.

    Attributes:
        status: the status code.
        reason: the reason phrase, as sent.
        headers: every header as sent, repeats and order kept.
        body_bytes: body bytes read so far, as they came (before any decoding).
    """

    def __init__(
        self,
        pool: ConnectionPool,
        connection: Connection,
        head: tuple[int, bytes, list[Header]],
    ) -> None:
        self.status, self.reason, self.headers = head
        self.body_bytes = 0
        self._pool = pool
        self._connection: Connection | None = connection

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body, piece by piece as it arrives (de-chunked, still content-encoded).

        :attr:`body_bytes` counts what has been read.
        """
        connection = self._connection
        if connection is None:
            raise RuntimeError("The response is closed")
        while chunk := await connection.next_chunk():
            self.body_bytes += len(chunk)
            yield chunk

    def close(self) -> None:
        """Give the connection back (reusable only if the body was read to the end)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.finish()
            self._pool.release(connection)


class ConnectionPool:
    """Keeps HTTP/1.1 connections per origin, every one opened by one dialer.

    The engine keeps one pool whose dialer checks addresses and one whose dialer does
    not, so a connection opened for a private account is never reused for a public one.
    """

    def __init__(
        self,
        *,
        dialer: GuardedDialer,
        ssl_context: ssl.SSLContext | Callable[[], ssl.SSLContext],
        max_connections: int = 100,
        max_keepalive_connections: int = 20,
        keepalive_expiry: float = 4.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create an empty pool.

        Args:
            dialer: resolves, checks and connects every new connection.
            ssl_context: TLS settings, or a function that builds them on the first https
                request (loading a CA bundle takes a noticeable fraction of a second).
            max_connections: exchanges in flight at once; more wait for a free slot.
            max_keepalive_connections: idle connections kept for reuse.
            keepalive_expiry: seconds an idle connection may be reused; below the 5 s
                after which common servers (uvicorn, Node) close an idle connection.
            clock: monotonic seconds (injectable for tests).
        """
        self._dialer = dialer
        self._ssl_context = ssl_context
        self._slots = asyncio.Semaphore(max_connections)
        self._max_idle = max_keepalive_connections
        self._expiry = keepalive_expiry
        self._clock = clock
        self._idle: dict[tuple[str, str, int], list[Connection]] = {}
        self._idle_count = 0
        self._closed = False

    @property
    def idle_connections(self) -> int:
        """Connections waiting for reuse."""
        return self._idle_count

    async def request(
        self,
        method: str,
        target: Target,
        headers: Sequence[Header],
        body: bytes = b"",
        *,
        trace: Trace | None = None,
    ) -> Response:
        """Send a request and return the response as soon as its head has arrived.

        Args:
            method: the request method.
            target: where to send it (:func:`parse_target`).
            headers: every header to send, in order, ``Host`` and ``Content-Length``
                included: nothing is added, and framing that disagrees with ``body`` (or
                a ``Transfer-Encoding``) is refused (see :func:`request_head`).
            body: the request body.
            trace: called with each phase event, for the phase timings.

        Raises:
            HTTPError: the exchange failed (see the subclasses).
            AddressRefused: the dialer refused the host's address.
        """
        if self._closed:
            raise RuntimeError("The connection pool is closed")
        head = request_head(method, target, headers, len(body))
        await self._slots.acquire()
        try:
            connection, answer = await self._exchange(method, target, headers, head, body, trace)
        except BaseException:
            self._slots.release()
            raise
        return Response(self, connection, answer)

    async def _exchange(
        self,
        method: str,
        target: Target,
        headers: Sequence[Header],
        head: bytes,
        body: bytes,
        trace: Trace | None,
    ) -> tuple[Connection, tuple[int, bytes, list[Header]]]:
        """Send on a pooled or a new connection and wait for the response head.

        A kept-alive connection can turn out to be closed by the server only when it is
        written to. Then, if the server sent nothing back and the method is idempotent,
        the request goes once more on a new connection.
        """
        connection = self._checkout(target.origin)
        retry = connection is not None and method in _IDEMPOTENT
        close = wants_close(headers)
        while True:
            if connection is None:
                connection = await self._connect(target, trace)
            try:
                await connection.send(
                    head, body, bodyless=method == "HEAD", close=close, trace=trace
                )
                with Phase(trace, "http11.receive_response_headers"):
                    return connection, await connection.receive_head()
            except (WriteError, ReadError, RemoteProtocolError):
                connection.close()
                if not retry or connection.received:
                    raise
            except BaseException:
                connection.close()
                raise
            retry, connection = False, None

    def release(self, connection: Connection) -> None:
        """Take back a connection whose exchange is over (closed ones are dropped)."""
        self._slots.release()
        if not connection.reusable or self._closed or self._max_idle <= 0:
            connection.close()
            return
        if self._idle_count >= self._max_idle:
            self._evict_oldest()
        connection.idle_since = self._clock()
        self._idle.setdefault(connection.origin, []).append(connection)
        self._idle_count += 1

    async def aclose(self) -> None:
        """Close every idle connection; connections in use close when released."""
        self._closed = True
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()
        self._idle_count = 0

    def _checkout(self, origin: tuple[str, str, int]) -> Connection | None:
        connections = self._idle.get(origin)
        now = self._clock()
        while connections:
            connection = connections.pop()  # the most recently used: the least likely stale
            self._idle_count -= 1
            if now - connection.idle_since < self._expiry and not connection.heard_from_peer():
                return connection
            connection.close()
        return None

    def _evict_oldest(self) -> None:
        oldest = min(
            (connections for connections in self._idle.values() if connections),
            key=lambda connections: connections[0].idle_since,
        )
        oldest.pop(0).close()
        self._idle_count -= 1

    async def _connect(self, target: Target, trace: Trace | None) -> Connection:
        loop = asyncio.get_running_loop()
        origin = target.origin

        async def connect(ip: str, port: int) -> Connection:
            _, protocol = await loop.create_connection(lambda: Connection(origin), ip, port)
            return protocol

        try:
            with Phase(trace, "connection.connect_tcp"):
                connection = await self._dialer.dial(target.host, target.port, connect)
        except OSError as error:
            raise ConnectError(str(error) or type(error).__name__) from error
        if target.scheme == "https":
            try:
                with Phase(trace, "connection.start_tls"):
                    await self._start_tls(connection, target.host)
            except BaseException as error:
                connection.close()
                if isinstance(error, OSError):
                    raise ConnectError(str(error) or type(error).__name__) from error
                raise
        return connection

    async def _start_tls(self, connection: Connection, host: str) -> None:
        context = self._ssl_context
        if not isinstance(context, ssl.SSLContext):
            context = self._ssl_context = context()
        assert connection.transport is not None
        tls = await asyncio.get_running_loop().start_tls(
            connection.transport, connection, context, server_hostname=host
        )
        if tls is None:
            raise ConnectionError("The connection closed during the TLS handshake")
        connection.transport = tls
        connection.tls = True
