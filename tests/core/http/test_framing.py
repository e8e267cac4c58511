"""HTTP/1.1 response framing: lengths, chunks, close-delimited, bodiless, malformed."""

from __future__ import annotations

import asyncio
import gzip
import hashlib

import pytest

from tests.helpers.http11 import (
    OK,
    answer,
    fetch,
    read_all,
    send,
    until_received,
)
from tests.helpers.servers import (
    RawRequest,
    RawServer,
    ScriptServer,
    read_head,
    response_bytes,
    until_closed,
)
from workbench.core.http.pool import ConnectionPool
from workbench.core.http.wire import _READ_HIGH_WATER, RemoteProtocolError

pytestmark = pytest.mark.anyio


# response framing ---------------------------------------------------------------------


async def test_a_content_length_body(pool: ConnectionPool) -> None:
    raw = (
        b"HTTP/1.1 201 Made It\r\nX-Twice: a\r\nx-twice: b\r\nContent-Length: 11\r\n\r\nhello world"
    )
    async with RawServer(answer(raw)) as server:
        response = await send(pool, server.base_url)
        body = await read_all(response)
    assert (response.status, response.reason) == (201, b"Made It")
    assert response.headers == [(b"X-Twice", b"a"), (b"x-twice", b"b"), (b"Content-Length", b"11")]
    assert (body, response.body_bytes) == (b"hello world", 11)


async def test_a_chunked_body_with_trailers(pool: ConnectionPool) -> None:
    raw = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
        b"5\r\nhello\r\n6;ext=1\r\n world\r\n1\r\n!\r\n0\r\nX-Checksum: abc\r\n\r\n"
    )
    async with RawServer(answer(raw, OK)) as server:
        reply = await fetch(pool, server.base_url)
        assert (reply.body, reply.header("x-checksum")) == (b"hello world!", None)
        assert (await fetch(pool, server.base_url)).body == b"ok"
    assert server.connections == 1


async def test_a_close_delimited_body(pool: ConnectionPool) -> None:
    raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + b"z" * 100_000
    async with RawServer(answer(raw, close=True)) as server:
        assert (await fetch(pool, server.base_url)).body == b"z" * 100_000


async def test_a_head_response_announcing_a_length_has_no_body(pool: ConnectionPool) -> None:
    head_reply = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
    async with RawServer(answer(head_reply, OK)) as server:
        async with asyncio.timeout(1):
            reply = await fetch(pool, server.base_url, "HEAD")
        assert (reply.header("content-length"), reply.body) == ("1000", b"")
        assert (await fetch(pool, server.base_url)).body == b"ok"
    assert server.connections == 1


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 204 No Content\r\n\r\n",
        b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nContent-Length: 50\r\n\r\n',
    ],
    ids=["204", "304"],
)
async def test_bodyless_statuses(pool: ConnectionPool, raw: bytes) -> None:
    async with RawServer(answer(raw, OK)) as server:
        assert (await fetch(pool, server.base_url)).body == b""
        assert (await fetch(pool, server.base_url)).body == b"ok"
    assert server.connections == 1


async def test_interim_responses_are_skipped(pool: ConnectionPool) -> None:
    raw = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
        b"HTTP/1.1 200 Fine\r\nContent-Length: 2\r\n\r\nok"
    )
    async with RawServer(answer(raw, OK)) as server:
        reply = await fetch(pool, server.base_url)
        assert (reply.status, reply.reason, reply.body) == (200, b"Fine", b"ok")
        assert reply.header("link") is None
        assert (await fetch(pool, server.base_url)).body == b"ok"
    assert server.connections == 1


async def test_a_response_trickling_in_byte_by_byte(pool: ConnectionPool) -> None:
    raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"

    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        for index in range(len(raw)):
            writer.write(raw[index : index + 1])
            await writer.drain()
            await asyncio.sleep(0)

    async with RawServer(handler) as server:
        assert (await fetch(pool, server.base_url)).body == b"abc"


async def test_bodies_arrive_as_sent(pool: ConnectionPool) -> None:
    compressed = gzip.compress(b'{"items": []}' * 100)
    raw = response_bytes(200, [("Content-Encoding", "gzip")], compressed)
    async with RawServer(answer(raw)) as server:
        reply = await fetch(pool, server.base_url)
    assert reply.body == compressed  # decoding is the engine's business


async def test_a_truncated_body_is_a_protocol_error(pool: ConnectionPool) -> None:
    raw = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 10
    async with RawServer(answer(raw, close=True)) as server:
        response = await send(pool, server.base_url)
        with pytest.raises(RemoteProtocolError, match="mid-body"):
            await read_all(response)
    assert pool.idle_connections == 0


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
        b"SMTP ready\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nNo colon here\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ],
    ids=["status", "not-http", "header", "two-lengths", "length-and-chunked"],
)
async def test_a_malformed_response_is_a_protocol_error(pool: ConnectionPool, raw: bytes) -> None:
    async with RawServer(answer(raw)) as server:
        with pytest.raises(RemoteProtocolError, match="Malformed HTTP response"):
            await fetch(pool, server.base_url)
    assert pool.idle_connections == 0


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\nX-Huge: " + b"a" * (70 * 1024) + b"\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n" + b"X-Many: b\r\n" * 8000 + b"Content-Length: 0\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\n" * 4000 + b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    ],
    ids=["one-huge-header", "many-headers", "endless-interim-responses"],
)
async def test_an_oversized_head_is_refused(pool: ConnectionPool, raw: bytes) -> None:
    """llhttp sets no limit on a head; the client stops at 64 KiB instead of buffering on."""
    async with RawServer(answer(raw)) as server:
        with pytest.raises(RemoteProtocolError, match="head exceeds 65536 bytes"):
            await fetch(pool, server.base_url)
    assert pool.idle_connections == 0


async def test_a_large_body_is_not_mistaken_for_a_large_head(pool: ConnectionPool) -> None:
    body = b"x" * (200 * 1024)  # arrives in the same reads as the head
    async with RawServer(answer(response_bytes(200, body=body))) as server:
        reply = await fetch(pool, server.base_url)
    assert reply.body == body


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_close_before_any_answer_is_a_protocol_error(
    pool: ConnectionPool, method: str
) -> None:
    async with RawServer(answer(b"", close=True)) as server:
        with pytest.raises(RemoteProtocolError, match="without answering"):
            await fetch(pool, server.base_url, method, body=b"{}")
    assert server.connections == 1  # a fresh connection is never retried


async def test_bytes_after_the_response_retire_the_connection(pool: ConnectionPool) -> None:
    # A second answer to one request, in the same packet: the first is the response, and
    # the connection can no longer be trusted to be in step with its requests.
    extra = b"HTTP/1.1 500 Smuggled\r\nX-Evil: 1\r\nContent-Length: 0\r\n\r\n"
    raw = b"HTTP/1.1 200 OK\r\nX-Real: 1\r\nContent-Length: 2\r\n\r\nok"
    async with RawServer(answer(raw + extra, OK)) as server:
        reply = await fetch(pool, server.base_url)
        assert (reply.status, reply.header("x-real"), reply.header("x-evil")) == (200, "1", None)
        assert reply.body == b"ok"
        assert pool.idle_connections == 0
        assert (await fetch(pool, server.base_url)).body == b"ok"
    assert server.connections == 2


async def test_bytes_arriving_on_an_idle_connection_retire_it(pool: ConnectionPool) -> None:
    send_stale = asyncio.Event()
    closed = asyncio.Event()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(OK)
        if server.connections == 1:
            await send_stale.wait()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale")
            await until_closed(reader)
            closed.set()
        await until_closed(reader)

    async with ScriptServer(script) as server:
        await fetch(pool, server.url())
        assert pool.idle_connections == 1
        send_stale.set()
        async with asyncio.timeout(2):
            await closed.wait()  # the client hung up on the unsolicited bytes
        assert (await fetch(pool, server.url())).body == b"ok"
    assert server.connections == 2


# response bodies ----------------------------------------------------------------------


async def test_a_large_body_streams_with_back_pressure(pool: ConnectionPool) -> None:
    block = bytes(range(256)) * 1024  # 256 KiB
    blocks = 160  # 40 MiB: far more than the socket buffers hold
    sent = 0

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        await read_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (len(block) * blocks))
        for _ in range(blocks):
            writer.write(block)
            await writer.drain()
            sent += 1
        await until_closed(reader)

    async with ScriptServer(script) as server:
        response = await send(pool, server.url())
        await asyncio.sleep(0.2)
        assert sent < blocks // 2  # the client stopped reading while nobody consumed
        digest, pieces = hashlib.sha256(), 0
        async for piece in response.chunks():
            digest.update(piece)
            pieces += 1
        response.close()
        assert response.body_bytes == len(block) * blocks
        assert digest.digest() == hashlib.sha256(block * blocks).digest()
        assert pieces > 1
        assert pool.idle_connections == 1


async def test_a_fully_arrived_body_left_unread_does_not_stall_the_next_request(
    pool: ConnectionPool,
) -> None:
    # The response's last bytes push the unread body past the read high-water mark, so
    # reading is paused when the response completes; the reused connection must resume.
    raw = response_bytes(200, body=b"b" * (_READ_HIGH_WATER + 50))
    release = asyncio.Event()

    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        if len(server.requests) > 1:
            writer.write(OK)
            return
        writer.write(raw[:-100])
        await release.wait()
        writer.write(raw[-100:])

    async with RawServer(handler) as server:
        response = await send(pool, server.base_url)
        await until_received(response, len(raw) - 100)
        release.set()
        await until_received(response, len(raw))
        response.close()
        assert (await fetch(pool, server.base_url)).body == b"ok"
    assert server.connections == 1
