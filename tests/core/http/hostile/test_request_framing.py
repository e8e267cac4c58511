"""Request framing: the client owns it, so no caller of the pool can smuggle a second request.

The engine sets ``Host`` and ``Content-Length`` itself, but the pool refuses any request
whose framing headers disagree with its body or with each other, before it connects.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.helpers.http11 import OK, answer, encode
from tests.helpers.servers import RawServer
from workbench.core.http.pool import ConnectionPool
from workbench.core.http.wire import LocalProtocolError, parse_target

pytestmark = pytest.mark.anyio

HOST = "Host"  # the value is filled in with the server's authority


async def request(
    pool: ConnectionPool, server: RawServer, headers: list[tuple[str, str]], body: bytes
) -> bytes:
    target = parse_target(server.base_url + "/items")
    fields = [(name, target.authority if value is HOST else value) for name, value in headers]
    async with asyncio.timeout(5):
        response = await pool.request("POST", target, encode(fields), body)
    try:
        return b"".join([chunk async for chunk in response.chunks()])
    finally:
        response.close()


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ([("Host", HOST)], b"GET /admin HTTP/1.1\r\n\r\n"),
        ([("Host", HOST), ("Content-Length", "3")], b"GET /admin HTTP/1.1\r\n\r\n"),
        ([("Host", HOST), ("Content-Length", "99")], b"short"),
        ([("Host", HOST), ("Content-Length", "5")], b""),
        ([("Host", HOST), ("Content-Length", "05")], b"hello"),
        ([("Host", HOST), ("Content-Length", "+5")], b"hello"),
        ([("Host", HOST), ("Content-Length", "5"), ("content-length", "5")], b"hello"),
        ([("Host", HOST), ("Content-Length", "5"), ("Content-Length", "0")], b"hello"),
        ([("Host", HOST), ("Content-Length", "5, 5")], b"hello"),
        ([("Host", HOST), ("Content-Length", "5"), ("Transfer-Encoding", "chunked")], b"hello"),
        ([("Host", HOST), ("Transfer-Encoding", "chunked")], b"5\r\nhello\r\n0\r\n\r\n"),
        ([("Host", HOST), ("Transfer-Encoding", "identity")], b""),
        ([("Host", HOST), ("HOST", HOST)], b""),
        ([("Host", HOST), ("Host", "internal.example")], b""),
        ([("Host", "internal.example")], b""),
        ([], b""),
    ],
    ids=[
        "body-without-length",
        "length-shorter-than-body",
        "length-longer-than-body",
        "length-without-body",
        "leading-zero",
        "plus-sign",
        "two-equal-lengths",
        "two-lengths",
        "length-list",
        "length-and-chunked",
        "chunked",
        "transfer-encoding",
        "two-hosts",
        "a-second-host",
        "another-host",
        "no-host",
    ],
)
async def test_a_request_whose_framing_disagrees_is_refused_before_connecting(
    pool: ConnectionPool, headers: list[tuple[str, str]], body: bytes
) -> None:
    async with RawServer(answer(OK)) as server:
        with pytest.raises(LocalProtocolError):
            await request(pool, server, headers, body)
    assert server.connections == 0


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ([("Host", HOST)], b""),
        ([("host", HOST), ("Content-Length", "0")], b""),
        ([("Host", HOST), ("content-length", "5")], b"hello"),
    ],
    ids=["no-body", "empty-body-with-length", "body-with-length"],
)
async def test_a_request_framed_as_its_body_is_sent(
    pool: ConnectionPool, headers: list[tuple[str, str]], body: bytes
) -> None:
    async with RawServer(answer(OK)) as server:
        assert await request(pool, server, headers, body) == b"ok"
    assert server.requests[0].body == body
