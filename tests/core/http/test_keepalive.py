"""Keep-alive in the HTTP/1.1 client: which connections are reused, one retry when stale."""

from __future__ import annotations

import asyncio

import pytest

from tests.core.conftest import FakeClock
from tests.helpers.http11 import (
    EXCHANGE_ERRORS,
    OK,
    answer,
    fetch,
    make_pool,
    send,
)
from tests.helpers.servers import (
    Handler,
    RawRequest,
    RawServer,
    stall_after_headers,
)
from workbench.core.http.pool import ConnectionPool
from workbench.core.http.wire import RemoteProtocolError

pytestmark = pytest.mark.anyio


# keep-alive ---------------------------------------------------------------------------


async def test_sequential_requests_share_one_connection(pool: ConnectionPool) -> None:
    async with RawServer(answer(OK)) as server:
        for _ in range(3):
            reply = await fetch(pool, server.base_url)
            assert (reply.status, reply.body) == (200, b"ok")
            assert pool.idle_connections == 1
    assert server.connections == 1
    assert len(server.requests) == 3


@pytest.mark.parametrize(
    ("reply", "server_closes"),
    [
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", False),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", False),
        (b"HTTP/1.1 200 OK\r\n\r\nok", True),  # the body ends where the connection does
    ],
    ids=["connection-close", "http-1.0", "close-delimited"],
)
async def test_connections_the_server_ends_are_not_reused(
    pool: ConnectionPool, reply: bytes, server_closes: bool
) -> None:
    async with RawServer(answer(reply, close=server_closes)) as server:
        for _ in range(2):
            assert (await fetch(pool, server.base_url)).body == b"ok"
            assert pool.idle_connections == 0
    assert server.connections == 2


async def test_http_1_0_keep_alive_is_honoured(pool: ConnectionPool) -> None:
    reply = b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok"
    async with RawServer(answer(reply)) as server:
        for _ in range(2):
            assert (await fetch(pool, server.base_url)).body == b"ok"
    assert server.connections == 1


async def test_a_request_asking_to_close_is_not_reused(pool: ConnectionPool) -> None:
    async with RawServer(answer(OK)) as server:
        for _ in range(2):
            await fetch(pool, server.base_url, headers=[("Connection", "keep-alive, close")])
    assert (server.connections, pool.idle_connections) == (2, 0)


async def test_a_response_closed_before_its_body_is_read_retires_the_connection(
    pool: ConnectionPool,
) -> None:
    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        if len(server.requests) == 1:
            await stall_after_headers(request, writer)
        writer.write(OK)

    async with RawServer(handler) as server:
        response = await send(pool, server.base_url)
        assert (b"Content-Length", b"100") in response.headers
        response.close()
        assert pool.idle_connections == 0
        assert (await fetch(pool, server.base_url)).body == b"ok"
    assert server.connections == 2


async def test_expired_idle_connections_are_not_reused() -> None:
    clock = FakeClock()
    pool = make_pool(keepalive_expiry=4.0, clock=clock)
    async with RawServer(answer(OK)) as server:
        await fetch(pool, server.base_url)
        clock.advance(3.9)
        await fetch(pool, server.base_url)
        assert server.connections == 1
        clock.advance(4.0)
        await fetch(pool, server.base_url)
        assert server.connections == 2
        assert pool.idle_connections == 1
    await pool.aclose()


async def test_an_idle_connection_the_server_closed_is_replaced(pool: ConnectionPool) -> None:
    # However the close races the next request (seen while idle, or only on writing to
    # it), the next request succeeds on a new connection.
    async with RawServer(answer(OK, close=True)) as server:
        for _ in range(3):
            assert (await fetch(pool, server.base_url)).body == b"ok"
    assert server.connections == 3


async def test_the_oldest_idle_connection_is_evicted() -> None:
    pool = make_pool(max_keepalive_connections=1)
    async with RawServer(answer(OK)) as first, RawServer(answer(OK)) as second:
        await fetch(pool, first.base_url)
        await fetch(pool, second.base_url)
        await fetch(pool, second.base_url)
        assert pool.idle_connections == 1
        await fetch(pool, first.base_url)
        assert (first.connections, second.connections) == (2, 1)
    await pool.aclose()


async def test_no_keep_alive_when_no_idle_connections_are_allowed() -> None:
    pool = make_pool(max_keepalive_connections=0)
    async with RawServer(answer(OK)) as server:
        for _ in range(2):
            assert (await fetch(pool, server.base_url)).body == b"ok"
            assert pool.idle_connections == 0
    assert server.connections == 2
    await pool.aclose()


# retrying a stale connection ----------------------------------------------------------


def drop_repeat_requests(reply: bytes = OK, *, partial: bytes = b"") -> Handler:
    """Answer the first request on each connection; on a later one send ``partial``, close.

    This is a kept-alive connection the server gave up on just as the client reused it.
    """
    answered: set[asyncio.StreamWriter] = set()

    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        if writer in answered:
            writer.write(partial)
            writer.close()
            return
        answered.add(writer)
        writer.write(reply)

    return handler


async def test_an_idempotent_request_is_retried_on_a_new_connection(
    pool: ConnectionPool,
) -> None:
    async with RawServer(drop_repeat_requests()) as server:
        await fetch(pool, server.base_url)
        reply = await fetch(pool, server.base_url + "/again", "PUT", body=b"x")
        assert (reply.status, reply.body) == (200, b"ok")
    assert server.connections == 2
    assert [r.target for r in server.requests] == ["/", "/again", "/again"]
    assert server.requests[2].body == b"x"


async def test_a_post_is_never_retried(pool: ConnectionPool) -> None:
    async with RawServer(drop_repeat_requests()) as server:
        await fetch(pool, server.base_url)
        with pytest.raises(EXCHANGE_ERRORS):
            await fetch(pool, server.base_url, "POST", body=b"charge=1")
    assert server.connections == 1
    assert [r.method for r in server.requests] == ["GET", "POST"]


async def test_a_partly_answered_request_is_never_retried(pool: ConnectionPool) -> None:
    async with RawServer(drop_repeat_requests(partial=b"HTTP/1.1 200 OK\r\nContent-")) as server:
        await fetch(pool, server.base_url)
        with pytest.raises(RemoteProtocolError):
            await fetch(pool, server.base_url)
    assert server.connections == 1


async def test_a_request_is_retried_once_at_most(pool: ConnectionPool) -> None:
    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        if len(server.requests) == 1:
            writer.write(OK)
        else:
            writer.close()

    async with RawServer(handler) as server:
        await fetch(pool, server.base_url)
        with pytest.raises(RemoteProtocolError):
            await fetch(pool, server.base_url)
    assert server.connections == 2
