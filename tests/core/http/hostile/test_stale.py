"""Stale answers: whatever reaches an idle kept-alive connection is never read as the next answer.

The loop is blocked on purpose between two requests (as a slow synchronous listener or a
big JSON parse blocks it), so the peer's bytes, FIN or reset wait unread in the kernel or
in the TLS layer when the next request checks the connection out.
"""

from __future__ import annotations

import json
import socket
import threading

import pytest

from tests.core.conftest import HarnessFactory, make_app
from tests.helpers.hostile import (
    TIMEOUT,
    ThreadScript,
    ThreadServer,
    block_until_readable,
    first_connection,
    localhost_tls_pool,
    recv_head,
    reset,
    serve_until_closed,
)
from tests.helpers.http11 import (
    fetch,
    read_all,
    send,
    server_context,
    until,
    until_received,
)
from tests.helpers.servers import response_bytes
from workbench.core.events import ExchangeEvent
from workbench.core.http.pool import ConnectionPool
from workbench.core.http.wire import _READ_HIGH_WATER

pytestmark = pytest.mark.anyio

FIRST = response_bytes(200, body=b"first")
STALE = response_bytes(200, body=b"stale")
FRESH = response_bytes(200, body=b"fresh")


def misbehave_when_idle(act: str, go: threading.Event, done: threading.Event) -> ThreadScript:
    """A script: answer the first connection's first request, then, when told, ``act`` on
    the idle connection ("stale": send an unsolicited answer, "fin": close, "reset": reset).
    Later connections answer every request with :data:`FRESH`.
    """

    def script(sock: socket.socket) -> None:
        recv_head(sock)
        sock.sendall(FIRST)
        go.wait(TIMEOUT)
        if act == "stale":
            sock.sendall(STALE)
            done.set()
            serve_until_closed(sock, FRESH)
        elif act == "fin":
            sock.shutdown(socket.SHUT_WR)
            done.set()
            recv_head(sock)
        else:
            reset(sock)
            done.set()

    return first_connection(script, FRESH)


@pytest.mark.parametrize("act", ["stale", "fin", "reset"])
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_an_idle_connection_that_heard_from_the_peer_is_not_reused(
    pool: ConnectionPool, act: str, method: str
) -> None:
    # A POST is never retried on another connection: reusing a closed one would fail it.
    go, done = threading.Event(), threading.Event()
    with ThreadServer(misbehave_when_idle(act, go, done)) as server:
        assert (await fetch(pool, server.url())).body == b"first"
        go.set()
        assert done.wait(TIMEOUT)
        block_until_readable(pool)
        reply = await fetch(pool, server.url(), method)
    assert (reply.status, reply.body) == (200, b"fresh")
    assert server.connections == 2
    assert server.errors == []


async def test_a_stale_tls_record_is_not_read_as_the_next_answer() -> None:
    pool = localhost_tls_pool()
    go, done = threading.Event(), threading.Event()
    with ThreadServer(misbehave_when_idle("stale", go, done), tls=server_context()) as server:
        url = server.url(host="localhost")
        assert (await fetch(pool, url)).body == b"first"
        go.set()
        assert done.wait(TIMEOUT)
        block_until_readable(pool)
        reply = await fetch(pool, url)
    assert reply.body == b"fresh"
    assert server.connections == 2
    await pool.aclose()


async def test_stale_bytes_held_by_the_tls_layer_are_not_read_as_the_next_answer() -> None:
    # The response's last bytes push the unread body past the read high-water mark, so
    # reading is paused when it completes: bytes sent after it then wait inside the TLS
    # layer, not in the kernel.
    body = b"b" * (_READ_HIGH_WATER + 50)
    head, tail = response_bytes(200, body=body)[:-100], body[-100:]
    pool = localhost_tls_pool()
    send_tail, send_stale = threading.Event(), threading.Event()

    def script(sock: socket.socket) -> None:
        recv_head(sock)
        sock.sendall(head)
        send_tail.wait(TIMEOUT)
        sock.sendall(tail)
        send_stale.wait(TIMEOUT)
        sock.sendall(STALE)
        serve_until_closed(sock, FRESH)

    with ThreadServer(first_connection(script, FRESH), tls=server_context()) as server:
        url = server.url(host="localhost")
        response = await send(pool, url)
        await until_received(response, len(head))
        send_tail.set()
        await until_received(response, len(head) + len(tail))
        send_stale.set()
        transport = response._connection.transport  # type: ignore[union-attr]
        assert transport is not None
        await until(lambda: transport.get_read_buffer_size() > 0)  # the stale answer is in
        assert await read_all(response) == body
        reply = await fetch(pool, url)
    assert reply.body == b"fresh"
    assert server.connections == 2
    await pool.aclose()


async def test_one_users_stale_answer_never_reaches_another_user(
    harness_factory: HarnessFactory,
) -> None:
    go, done = threading.Event(), threading.Event()

    def script(sock: socket.socket) -> None:
        recv_head(sock)
        sock.sendall(response_bytes(200, body=b'{"for": "user-a"}'))
        go.wait(TIMEOUT)
        sock.sendall(response_bytes(200, body=b'{"for": "user-a", "private": true}'))
        done.set()
        serve_until_closed(sock, b"")

    fresh = response_bytes(200, body=b'{"for": "whoever asked"}')
    with ThreadServer(first_connection(script, fresh)) as server:
        authority = server.url().removeprefix("http://").rstrip("/")
        harness = await harness_factory(make_app(authority))
        harness.add_account("apn_testB", user="user-b")
        pools = list(harness.engine._pools.values())

        def slow_listener(event: ExchangeEvent) -> None:
            # A synchronous listener that takes its time: nothing reads sockets meanwhile.
            if not go.is_set():
                go.set()
                assert done.wait(TIMEOUT)
                block_until_readable(*pools)

        harness.engine.events.subscribe(slow_listener)
        first = await harness.send("/me")
        second = await harness.send("/me", external_user_id="user-b", account_id="apn_testB")
    assert json.loads(first.body) == {"for": "user-a"}
    assert json.loads(second.body) == {"for": "whoever asked"}
    assert server.connections == 2
