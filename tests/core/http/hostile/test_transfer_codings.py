"""Transfer codings: only chunked (and the no-op identity) frame a body; anything else is refused.

llhttp de-chunks a body whose last coding is chunked and hands over the rest as if plain:
``gzip, chunked`` would reach the caller as gzip bytes in a body that claims none.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.core.conftest import HarnessFactory, make_app
from tests.helpers.http11 import OK, answer, fetch
from tests.helpers.servers import RawServer, ScriptServer, read_head
from workbench.core.errors import ProxyError
from workbench.core.http.pool import ConnectionPool
from workbench.core.http.wire import RemoteProtocolError

pytestmark = pytest.mark.anyio

CHUNKS = b"5\r\nhello\r\n0\r\n\r\n"


def with_codings(*values: bytes, version: bytes = b"1.1") -> bytes:
    head = b"HTTP/%s 200 OK\r\n" % version
    head += b"".join(b"Transfer-Encoding: %s\r\n" % value for value in values)
    return head + b"\r\n" + CHUNKS


@pytest.mark.parametrize(
    "values",
    [
        (b"gzip, chunked",),
        (b"deflate, chunked",),
        (b"chunked, gzip",),
        (b"gzip",),
        (b"chunked", b"gzip"),
        (b"gzip", b"chunked"),
        (b"chunked, chunked",),
        (b"chunked, identity",),
        (b"xchunked",),
        (b"chunked;q=1",),
        (b"chunked,,",),
    ],
    ids=lambda values: "+".join(value.decode() for value in values),
)
async def test_a_coding_other_than_chunked_is_refused(
    pool: ConnectionPool, values: tuple[bytes, ...]
) -> None:
    async with RawServer(answer(with_codings(*values), OK)) as server:
        with pytest.raises(RemoteProtocolError, match="transfer coding"):
            await fetch(pool, server.base_url)
        assert (await fetch(pool, server.base_url)).body == b"ok"
    assert server.connections == 2


@pytest.mark.parametrize(
    "values",
    [(b"chunked",), (b"Chunked",), (b"CHUNKED ",), (b"identity, chunked",)],
    ids=["chunked", "Chunked", "CHUNKED-space", "identity-chunked"],
)
async def test_chunked_is_read(pool: ConnectionPool, values: tuple[bytes, ...]) -> None:
    async with RawServer(answer(with_codings(*values), OK)) as server:
        assert (await fetch(pool, server.base_url)).body == b"hello"
        assert (await fetch(pool, server.base_url)).body == b"ok"
    assert server.connections == 1


async def test_identity_alone_leaves_the_body_to_end_at_close(pool: ConnectionPool) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\nplain bytes")
        await writer.drain()
        writer.close()

    async with ScriptServer(script) as server:
        assert (await fetch(pool, server.url())).body == b"plain bytes"


async def test_chunked_in_an_http_1_0_response_retires_the_connection(
    pool: ConnectionPool,
) -> None:
    # RFC 9112 6.1: such framing is faulty; the message stands, the connection does not.
    raw = with_codings(b"chunked", version=b"1.0").replace(
        b"OK\r\n", b"OK\r\nConnection: keep-alive\r\n", 1
    )
    async with RawServer(answer(raw, OK)) as server:
        assert (await fetch(pool, server.base_url)).body == b"hello"
        assert pool.idle_connections == 0
        assert (await fetch(pool, server.base_url)).body == b"ok"
    assert server.connections == 2


async def test_the_engine_answers_a_gzip_transfer_coding_with_502(
    harness_factory: HarnessFactory,
) -> None:
    async with RawServer(answer(with_codings(b"gzip, chunked"))) as server:
        harness = await harness_factory(make_app(server.authority))
        with pytest.raises(ProxyError) as caught:
            await harness.send("/data")
    assert (caught.value.status, caught.value.code) == (502, "upstream_error")
    assert "gzip" in caught.value.message
