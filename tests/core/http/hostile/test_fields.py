"""Fields without a bound: heads, trailers and chunk lines all count against one 64 KiB cap.

llhttp sets no limit of its own, and httptools buffers a header or trailer line until it
ends: an endless one grows in memory until the deadline. The client fails fast instead.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.helpers.http11 import fetch
from tests.helpers.servers import Script, ScriptServer, read_head, until_closed
from workbench.core.http.pool import ConnectionPool
from workbench.core.http.wire import RemoteProtocolError

pytestmark = pytest.mark.anyio

CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
MiB = 1024 * 1024


def sending(*parts: bytes) -> Script:
    """A script writing ``parts`` one after the other (draining between them), then waiting."""

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        for part in parts:
            writer.write(part)
            await writer.drain()
        await until_closed(reader)

    return script


async def refused(pool: ConnectionPool, *parts: bytes, match: str) -> None:
    async with ScriptServer(sending(*parts)) as server:
        with pytest.raises(RemoteProtocolError, match=match):
            await fetch(pool, server.url())
    assert pool.idle_connections == 0


async def refused_midway(pool: ConnectionPool, start: bytes, filler: bytes, match: str) -> None:
    """``start``, then ``filler`` without end: the client must hang up long before 64 MiB."""
    sent = 0

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        await read_head(reader)
        writer.write(start)
        while sent < 64 * MiB:
            writer.write(filler * 1024)
            await writer.drain()
            sent += len(filler) * 1024

    async with ScriptServer(script) as server:
        with pytest.raises(RemoteProtocolError, match=match):
            await fetch(pool, server.url())
    assert sent < 64 * MiB
    assert pool.idle_connections == 0


@pytest.mark.parametrize(
    ("start", "filler"),
    [(b"X-Trailer: ", b"v" * 64), (b"X-", b"n" * 64)],
    ids=["value", "name"],
)
async def test_an_endless_trailer_line_fails_fast(
    pool: ConnectionPool, start: bytes, filler: bytes
) -> None:
    last_chunk = CHUNKED + b"2\r\nok\r\n0\r\n"
    await refused_midway(pool, last_chunk + start, filler, match="line .*exceeds 65536 bytes")


async def test_an_endless_chunk_extension_fails_fast(pool: ConnectionPool) -> None:
    await refused_midway(pool, CHUNKED + b"2;ext=", b"e" * 64, match="line .*exceeds 65536 bytes")


async def test_an_endless_header_fails_fast(pool: ConnectionPool) -> None:
    start = b"HTTP/1.1 200 OK\r\nX-Endless: "
    await refused_midway(pool, start, b"v" * 64, match="head exceeds 65536 bytes")


async def test_many_trailer_fields_are_refused(pool: ConnectionPool) -> None:
    trailers = b"".join(b"X-T%d: %s\r\n" % (n, b"v" * 100) for n in range(2000)) + b"\r\n"
    await refused(pool, CHUNKED + b"2\r\nok\r\n0\r\n", trailers, match="trailers exceed 65536")


async def test_trailers_and_head_count_together(pool: ConnectionPool) -> None:
    head = b"HTTP/1.1 200 OK\r\nX-Big: " + b"h" * 40_000 + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
    trailer = b"X-Also-Big: " + b"t" * 40_000 + b"\r\n\r\n"
    await refused(pool, head + b"2\r\nok\r\n0\r\n", trailer, match="trailers exceed 65536")


async def test_modest_trailers_are_read_and_dropped(pool: ConnectionPool) -> None:
    trailers = b"".join(b"X-T%d: %s\r\n" % (n, b"v" * 100) for n in range(100)) + b"\r\n"
    async with ScriptServer(sending(CHUNKED + b"2\r\nok\r\n0\r\n" + trailers)) as server:
        reply = await fetch(pool, server.url())
    assert (reply.body, reply.header("x-t1")) == (b"ok", None)


async def test_many_small_chunks_are_not_mistaken_for_a_long_line(pool: ConnectionPool) -> None:
    # 600 KiB of chunk framing around 200 KiB of body: only unbroken lines count.
    chunks = b"".join(b"2;e=1\r\nab\r\n" for _ in range(100_000)) + b"0\r\n\r\n"
    async with ScriptServer(sending(CHUNKED, chunks)) as server:
        reply = await fetch(pool, server.url())
    assert reply.body == b"ab" * 100_000
