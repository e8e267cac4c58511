"""Helpers for the HTTP/1.1 client tests: a pool, a request the engine's way, a reply read whole."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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
