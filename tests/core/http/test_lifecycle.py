"""The HTTP/1.1 client's trace events, cancellation, connection limit, errors and closing."""

from __future__ import annotations

import asyncio

import pytest

from tests.helpers.http11 import (
    OK,
    MiB,
    TraceLog,
    answer,
    fetch,
    make_pool,
    read_all,
    send,
)
from tests.helpers.servers import (
    RawServer,
    ScriptServer,
    read_head,
    refused_port,
    until_closed,
)
from workbench.core.http.netguard import AddressRefused, GuardedDialer
from workbench.core.http.pool import ConnectionPool
from workbench.core.http.wire import ConnectError, RemoteProtocolError, parse_target

pytestmark = pytest.mark.anyio


# trace events -------------------------------------------------------------------------


async def test_trace_events_of_a_fresh_and_a_reused_connection(pool: ConnectionPool) -> None:
    exchange = [
        "http11.send_request_headers.started",
        "http11.send_request_headers.complete",
        "http11.receive_response_headers.started",
        "http11.receive_response_headers.complete",
    ]
    async with RawServer(answer(OK)) as server:
        fresh, reused = TraceLog(), TraceLog()
        await fetch(pool, server.base_url, trace=fresh)
        await fetch(pool, server.base_url, trace=reused)
    assert fresh.events == [
        "connection.connect_tcp.started",
        "connection.connect_tcp.complete",
        *exchange,
    ]
    assert reused.events == exchange


async def test_trace_events_of_failures(pool: ConnectionPool) -> None:
    refused = TraceLog()
    with pytest.raises(ConnectError):
        await fetch(pool, f"http://127.0.0.1:{refused_port()}/", trace=refused)
    assert refused.events == ["connection.connect_tcp.started", "connection.connect_tcp.failed"]
    unanswered = TraceLog()
    async with RawServer(answer(b"", close=True)) as server:
        with pytest.raises(RemoteProtocolError):
            await fetch(pool, server.base_url, trace=unanswered)
    assert unanswered.events[-2:] == [
        "http11.receive_response_headers.started",
        "http11.receive_response_headers.failed",
    ]


# cancellation and the connection limit ------------------------------------------------


async def test_cancelling_while_waiting_closes_the_connection() -> None:
    pool = make_pool(max_connections=1)
    hung_up = asyncio.Event()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        if server.connections == 1:
            await until_closed(reader)  # never answers the first request
            hung_up.set()
            return
        writer.write(OK)
        await until_closed(reader)

    async with ScriptServer(script) as server:
        target = parse_target(server.url())
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.1):
                await pool.request("GET", target, [(b"Host", target.authority.encode())])
        async with asyncio.timeout(2):
            await hung_up.wait()
        assert pool.idle_connections == 0
        assert (await fetch(pool, server.url())).body == b"ok"  # the slot is free again
    await pool.aclose()


async def test_cancelling_a_large_upload_abandons_its_connection() -> None:
    pool = make_pool(max_connections=1)
    body = b"u" * (32 * MiB)  # far more than the socket buffers hold
    received = asyncio.Future[int]()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        await asyncio.sleep(0.3)  # read nothing until the client has given up
        received.set_result(await until_closed(reader))

    async with ScriptServer(script) as server:
        target = parse_target(server.url())
        headers = [(b"Host", target.authority.encode()), (b"Content-Length", b"%d" % len(body))]
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.1):
                await pool.request("PUT", target, headers, body)
        async with asyncio.timeout(2):
            # The rest of the body was dropped, not sent after the caller gave up.
            assert await received < len(body) // 2
    await pool.aclose()


async def test_cancelling_a_body_read_then_closing_retires_the_connection() -> None:
    pool = make_pool(max_connections=1)
    hung_up = asyncio.Event()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        await until_closed(reader)
        hung_up.set()

    async with ScriptServer(script) as server:
        response = await send(pool, server.url())
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.1):
                await read_all(response)
        async with asyncio.timeout(2):
            await hung_up.wait()
        assert (response.body_bytes, pool.idle_connections) == (3, 0)
    await pool.aclose()


async def test_an_open_response_holds_its_slot_until_closed() -> None:
    pool = make_pool(max_connections=1)
    async with RawServer(answer(OK)) as server:
        first = await send(pool, server.base_url)
        second = asyncio.create_task(fetch(pool, server.base_url))
        await asyncio.sleep(0.05)
        assert not second.done()
        first.close()
        assert (await second).body == b"ok"
    await pool.aclose()


async def test_errors_release_the_slot() -> None:
    pool = make_pool(max_connections=1)
    with pytest.raises(ConnectError):
        await fetch(pool, f"http://127.0.0.1:{refused_port()}/")
    async with RawServer(answer(b"garbage\r\n\r\n", OK)) as server:
        with pytest.raises(RemoteProtocolError):
            await fetch(pool, server.base_url)
        assert (await fetch(pool, server.base_url)).body == b"ok"
    await pool.aclose()


# errors and closing -------------------------------------------------------------------


async def test_connection_refused_is_a_connect_error(pool: ConnectionPool) -> None:
    with pytest.raises(ConnectError):
        await fetch(pool, f"http://127.0.0.1:{refused_port()}/")


async def test_an_unresolvable_name_is_a_connect_error() -> None:
    async def nowhere(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    pool = make_pool(dialer=GuardedDialer(resolver=nowhere))
    with pytest.raises(ConnectError, match=r"Could not resolve host nowhere\.test"):
        await fetch(pool, "http://nowhere.test/")
    await pool.aclose()


async def test_a_refused_address_passes_through_unwrapped() -> None:
    pool = make_pool(dialer=GuardedDialer(check=True))
    async with RawServer(answer(OK)) as server:
        with pytest.raises(AddressRefused):
            await fetch(pool, server.base_url)
    assert server.connections == 0
    await pool.aclose()


async def test_aclose_closes_idle_connections_and_refuses_new_requests() -> None:
    pool = make_pool()
    hung_up = asyncio.Event()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(OK)
        await until_closed(reader)
        hung_up.set()

    async with ScriptServer(script) as server:
        await fetch(pool, server.url())
        assert pool.idle_connections == 1
        await pool.aclose()
        assert pool.idle_connections == 0
        async with asyncio.timeout(2):
            await hung_up.wait()
        with pytest.raises(RuntimeError, match="closed"):
            await fetch(pool, server.url())
    assert server.connections == 1


async def test_a_response_released_after_aclose_is_not_pooled() -> None:
    pool = make_pool()
    async with RawServer(answer(OK)) as server:
        response = await send(pool, server.base_url)
        await pool.aclose()
        assert await read_all(response) == b"ok"
        assert pool.idle_connections == 0
