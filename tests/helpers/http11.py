"""Helpers for the HTTP/1.1 client tests: a pool, a request the engine's way, a reply read whole."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest_httpbin.certs

from tests.helpers.servers import (
    Handler,
    RawRequest,
    response_bytes,
)
from workbench.core.http.netguard import GuardedDialer
from workbench.core.http.pool import ConnectionPool, Response
from workbench.core.http.wire import (
    Header,
    ReadError,
    RemoteProtocolError,
    WriteError,
    parse_target,
)

OK = response_bytes(200, body=b"ok")
MiB = 1024 * 1024
EXCHANGE_ERRORS = (RemoteProtocolError, ReadError, WriteError)


def trusted_context() -> ssl.SSLContext:
    """A client context trusting pytest-httpbin's test CA."""
    return ssl.create_default_context(cafile=pytest_httpbin.certs.where())


def server_context(names: list[str | None] | None = None) -> ssl.SSLContext:
    """pytest-httpbin's certificate (localhost, 127.0.0.1), recording each TLS server name."""
    certs = pytest_httpbin.certs.where().rsplit("/", 1)[0]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(f"{certs}/server.pem", f"{certs}/server.key")
    if names is not None:
        context.sni_callback = lambda _socket, name, _context: names.append(name)
    return context


class MapResolver:
    """A resolver answering from a table, recording the names asked for."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return self.table[host]


class TraceLog:
    """A ``trace`` callback that records event names in order."""

    def __init__(self) -> None:
        self.events: list[str] = []

    def __call__(self, event: str) -> None:
        self.events.append(event)


def make_pool(*, dialer: GuardedDialer | None = None, **options: Any) -> ConnectionPool:
    """A pool that allows private addresses; TLS settings built only if needed."""
    options.setdefault("ssl_context", ssl.create_default_context)
    return ConnectionPool(dialer=dialer or GuardedDialer(check=False), **options)


def encode(headers: Sequence[tuple[str, str]]) -> list[Header]:
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]


async def send(
    pool: ConnectionPool,
    url: str,
    method: str = "GET",
    *,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
    trace: TraceLog | None = None,
) -> Response:
    """Send a request the way the engine does: ``Host`` first, a length for a body."""
    target = parse_target(url)
    fields = [("Host", target.authority), *headers]
    if body:
        fields.append(("Content-Length", str(len(body))))
    async with asyncio.timeout(5):
        return await pool.request(method, target, encode(fields), body, trace=trace)


async def read_all(response: Response) -> bytes:
    """The whole body; the response is closed after it (as the engine does)."""
    try:
        async with asyncio.timeout(5):
            return b"".join([chunk async for chunk in response.chunks()])
    finally:
        response.close()


async def until(condition: Callable[[], bool]) -> None:
    """Let the loop run until ``condition()`` holds (5 s at most).

    For states of a transport that nothing signals (bytes read into a buffer).
    """
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110 (no event exists to wait on)
            await asyncio.sleep(0.005)


async def until_received(response: Response, size: int) -> None:
    """Wait until ``size`` bytes of the response (head included) are off the wire, unread."""
    connection = response._connection  # a white-box look: the caller reads nothing
    assert connection is not None
    await until(lambda: connection.received >= size)


@dataclass
class Reply:
    """A response read to the end."""

    status: int
    reason: bytes
    headers: list[Header]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first header with this name (case-insensitive), or None."""
        wanted = name.lower().encode()
        return next((v.decode() for k, v in self.headers if k.lower() == wanted), None)


async def fetch(pool: ConnectionPool, url: str, method: str = "GET", **options: Any) -> Reply:
    """Send one request and read the whole response (which releases the connection)."""
    response = await send(pool, url, method, **options)
    body = await read_all(response)
    return Reply(response.status, response.reason, response.headers, body)


def answer(*responses: bytes, close: bool = False) -> Handler:
    """A RawServer handler answering request n with ``responses[n]`` (the last one repeats).

    With ``close`` the server closes the connection after each answer.
    """
    sent = 0

    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        writer.write(responses[min(sent, len(responses) - 1)])
        sent += 1
        if close:
            writer.close()

    return handler
