"""Truncated bodies: only a clean close ends a body that has no length.

A body without ``Content-Length`` or chunking ends where the connection does. A clean
close (a FIN; over TLS, the peer's close_notify) ends it; a reset, a TLS error or a TLS
connection cut without close_notify means the body was cut short: a 502, never a 200
relayed as complete.
"""

from __future__ import annotations

import socket
import ssl
import threading

import pytest

from tests.core.conftest import HarnessFactory, make_app
from tests.helpers.hostile import TIMEOUT, ThreadServer, localhost_tls_pool, recv_head, reset
from tests.helpers.http11 import (
    EXCHANGE_ERRORS,
    read_all,
    send,
    server_context,
    until_received,
)
from workbench.core.errors import ProxyError
from workbench.core.http.pool import ConnectionPool

pytestmark = pytest.mark.anyio

UNFRAMED = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + b"part of a body"
CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
LENGTH = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello"


def end(sock: socket.socket, how: str) -> None:
    """End a connection: "fin", "reset", or over TLS "close_notify", "cut" or "garbage"."""
    if how == "close_notify":
        sock = sock.unwrap()  # type: ignore[attr-defined]
        how = "fin"
    elif isinstance(sock, ssl.SSLSocket):
        sock = socket.socket(fileno=sock.detach())  # the TCP connection under TLS
    with sock:
        if how == "garbage":
            sock.sendall(b"\x17\x03\x03\x00\x05abcde")  # a record that fails its MAC
            how = "fin"
        if how == "reset":
            reset(sock)
            return
        sock.shutdown(socket.SHUT_WR)
        sock.recv(1)  # until the client closes too


class Ending:
    """A server script: send ``raw``, wait until the client read it, then end the connection."""

    def __init__(self, raw: bytes, how: str) -> None:
        self.raw = raw
        self.how = how
        self.go = threading.Event()

    def __call__(self, sock: socket.socket, index: int) -> None:
        recv_head(sock)
        sock.sendall(self.raw)
        self.go.wait(TIMEOUT)
        end(sock, self.how)


async def read_ended(pool: ConnectionPool, url: str, ending: Ending) -> bytes:
    """Send, let the whole of ``ending.raw`` arrive, end the connection, read the body."""
    response = await send(pool, url)
    await until_received(response, len(ending.raw))
    ending.go.set()
    return await read_all(response)


async def test_a_clean_close_ends_a_body_without_length(pool: ConnectionPool) -> None:
    ending = Ending(UNFRAMED, "fin")
    with ThreadServer(ending) as server:
        assert await read_ended(pool, server.url(), ending) == b"part of a body"


@pytest.mark.parametrize("raw", [UNFRAMED, CHUNKED, LENGTH], ids=["unframed", "chunked", "length"])
async def test_a_reset_cuts_any_body_short(pool: ConnectionPool, raw: bytes) -> None:
    ending = Ending(raw, "reset")
    with ThreadServer(ending) as server, pytest.raises(EXCHANGE_ERRORS):
        await read_ended(pool, server.url(), ending)
    assert pool.idle_connections == 0


async def test_close_notify_ends_a_tls_body_without_length() -> None:
    pool = localhost_tls_pool()
    ending = Ending(UNFRAMED, "close_notify")
    with ThreadServer(ending, tls=server_context()) as server:
        body = await read_ended(pool, server.url(host="localhost"), ending)
    assert body == b"part of a body"
    await pool.aclose()


@pytest.mark.parametrize("how", ["cut", "garbage", "reset"])
@pytest.mark.parametrize("raw", [UNFRAMED, CHUNKED], ids=["unframed", "chunked"])
async def test_a_tls_body_not_closed_by_close_notify_is_cut_short(raw: bytes, how: str) -> None:
    pool = localhost_tls_pool()
    ending = Ending(raw, how)
    with ThreadServer(ending, tls=server_context()) as server, pytest.raises(EXCHANGE_ERRORS):
        await read_ended(pool, server.url(host="localhost"), ending)
    assert pool.idle_connections == 0
    await pool.aclose()


async def test_the_engine_answers_a_cut_body_with_502(harness_factory: HarnessFactory) -> None:
    ending = Ending(UNFRAMED, "reset")
    with ThreadServer(ending) as server:
        harness = await harness_factory(make_app(f"127.0.0.1:{server.port}"))
        # The head has arrived when the server resets, whenever the client reads it.
        ending.go.set()
        with pytest.raises(ProxyError) as caught:
            await harness.send("/report")
    assert (caught.value.status, caught.value.code) == (502, "upstream_error")
    assert harness.events[-1].status == 502
