"""HTTP/1.1 request writing: exact bytes, large bodies, what is refused before writing."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from tests.helpers.http11 import (
    OK,
    MiB,
    TraceLog,
    answer,
    fetch,
)
from tests.helpers.servers import (
    RawServer,
    ScriptServer,
    read_head,
    respond,
    response_bytes,
    until_closed,
)
from workbench.core.http.pool import ConnectionPool
from workbench.core.http.wire import Header, LocalProtocolError, parse_target, request_head

pytestmark = pytest.mark.anyio


# request writing ----------------------------------------------------------------------


async def test_the_request_head_is_written_exactly(pool: ConnectionPool) -> None:
    headers = [("X-Dup", "1"), ("x-dup", "2"), ("X-MiXeD-Case", "Value With  Spaces")]
    async with RawServer(answer(OK)) as server:
        await fetch(pool, server.base_url + "/a/b?x=1&y=%20z&x=2", headers=headers)
        authority = server.authority
    assert server.requests[0].head == (
        b"GET /a/b?x=1&y=%20z&x=2 HTTP/1.1\r\n"
        + f"Host: {authority}\r\n".encode()
        + b"X-Dup: 1\r\nx-dup: 2\r\nX-MiXeD-Case: Value With  Spaces\r\n\r\n"
    )


async def test_a_json_post(pool: ConnectionPool) -> None:
    body = b'{"amount":1}'
    async with RawServer(answer(OK)) as server:
        await fetch(
            pool,
            server.base_url + "/charges",
            "POST",
            headers=[("Content-Type", "application/json")],
            body=body,
        )
    request = server.requests[0]
    assert (request.method, request.target, request.body) == ("POST", "/charges", body)
    assert request.header_names() == ["host", "content-type", "content-length"]
    assert request.header("content-length") == "12"


async def test_a_large_body_arrives_intact(pool: ConnectionPool) -> None:
    body = bytes(range(256)) * (5 * MiB // 256)
    trace = TraceLog()
    async with RawServer(respond(204)) as server:
        reply = await fetch(pool, server.base_url, "PUT", body=body, trace=trace)
    assert reply.status == 204
    assert server.requests[0].body == body
    assert "http11.send_request_body.complete" in trace.events


async def test_a_large_body_waits_for_the_server_to_read(pool: ConnectionPool) -> None:
    body = bytes(range(256)) * (32 * MiB // 256)  # far more than the socket buffers hold
    start_reading = asyncio.Event()
    trace = TraceLog()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        await start_reading.wait()
        data = await reader.readexactly(len(body))
        writer.write(response_bytes(200, body=hashlib.sha256(data).hexdigest().encode()))
        await until_closed(reader)

    async with ScriptServer(script) as server:
        sending = asyncio.create_task(fetch(pool, server.url(), "POST", body=body, trace=trace))
        await asyncio.sleep(0.2)
        assert trace.events[-1] == "http11.send_request_body.started"  # waiting to drain
        start_reading.set()
        reply = await sending
    assert reply.body == hashlib.sha256(body).hexdigest().encode()
    assert trace.events[-3:] == [
        "http11.send_request_body.complete",
        "http11.receive_response_headers.started",
        "http11.receive_response_headers.complete",
    ]


def test_request_head_writes_the_headers_as_given() -> None:
    target = parse_target("http://api.example.com/v1/items?limit=2")
    head = request_head("OPTIONS", target, [(b"Host", b"api.example.com"), (b"X-A", b"\xe9")], 0)
    assert (
        head == b"OPTIONS /v1/items?limit=2 HTTP/1.1\r\nHost: api.example.com\r\nX-A: \xe9\r\n\r\n"
    )


@pytest.mark.parametrize(
    ("method", "url", "headers"),
    [
        ("GET", "http://h/", [(b"X", b"a\r\nInjected: 1")]),
        ("GET", "http://h/", [(b"X", b"a\nb")]),
        ("GET", "http://h/", [(b"X", b"a\rb")]),
        ("GET", "http://h/", [(b"X", b"a\x00")]),
        ("GET", "http://h/", [(b"X Y", b"1")]),
        ("GET", "http://h/", [(b"X:Y", b"1")]),
        ("GET", "http://h/", [(b"X\r\nY", b"1")]),
        ("GET", "http://h/", [(b"", b"1")]),
        ("GET / HTTP/1.1\r\nX:", "http://h/", []),
        ("GE T", "http://h/", []),
        ("PÖST", "http://h/", []),
        ("", "http://h/", []),
        ("GET", "http://h/a b", []),
        ("GET", "http://h/a\r\nX: y", []),
        ("GET", "http://h/a\tb", []),
        ("GET", "http://h/caf\u00e9", []),
        ("GET", "http://h/\u2028", []),
    ],
)
def test_request_head_refuses_what_could_split_a_request(
    method: str, url: str, headers: list[Header]
) -> None:
    with pytest.raises(LocalProtocolError):
        request_head(method, parse_target(url), [(b"Host", b"h"), *headers], 0)


async def test_an_unsafe_request_writes_nothing(pool: ConnectionPool) -> None:
    async with RawServer(answer(OK)) as server:
        with pytest.raises(LocalProtocolError, match="Invalid value for header X-Note"):
            await fetch(pool, server.base_url, headers=[("X-Note", "a\r\nHost: evil")])
        assert (await fetch(pool, server.base_url)).body == b"ok"
    assert (server.connections, len(server.requests)) == (1, 1)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://api.example.com/v1?x=1", ("http", "api.example.com", 80, "api.example.com")),
        ("https://api.example.com", ("https", "api.example.com", 443, "api.example.com")),
        ("https://127.0.0.1:8443/x", ("https", "127.0.0.1", 8443, "127.0.0.1:8443")),
        ("http://h:80/", ("http", "h", 80, "h:80")),  # the Host value keeps the port given
    ],
)
def test_parse_target(url: str, expected: tuple[str, str, int, str]) -> None:
    target = parse_target(url)
    assert (target.scheme, target.host, target.port, target.authority) == expected
    assert target.origin == expected[:3]


def test_parse_target_keeps_the_path_and_query() -> None:
    assert parse_target("http://h/a/b?x=1&y=%20").target == "/a/b?x=1&y=%20"
    assert parse_target("http://h").target == "/"
    assert parse_target("http://h?x=1").target == "/?x=1"
    assert parse_target("http://h:8080?x").target == "/?x"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://h/file",
        "ws://h/socket",
        "h/path",
        "http:///path",
        "http://user@h/",
        "http://h:0/",
        "http://h:65536/",
        "http://h:/",
        "http://h:http/",
        "http://[::1]/",
        "http://h h/",
    ],
)
def test_parse_target_refuses_what_the_rules_never_produce(url: str) -> None:
    with pytest.raises(LocalProtocolError):
        parse_target(url)
