"""TLS in the HTTP/1.1 client: the name asked for is verified, TCP goes to the dialed IP."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import pytest

from tests.helpers.http11 import (
    OK,
    MapResolver,
    TraceLog,
    answer,
    fetch,
    make_pool,
    server_context,
    trusted_context,
)
from tests.helpers.servers import (
    RawServer,
    ScriptServer,
    read_head,
    response_bytes,
)
from workbench.core.http.netguard import GuardedDialer
from workbench.core.http.wire import (
    ConnectError,
)

pytestmark = pytest.mark.anyio


# TLS ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trusted() -> ssl.SSLContext:
    """A client context trusting pytest-httpbin's test CA."""
    return trusted_context()


async def echo_head(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer each request with its own head."""
    while True:
        head = await read_head(reader)
        writer.write(response_bytes(200, body=head))


async def test_https_through_httpbin(httpbin_secure: Any, trusted: ssl.SSLContext) -> None:
    pool = make_pool(ssl_context=trusted)
    trace = TraceLog()
    reply = await fetch(pool, httpbin_secure.url + "/get?q=1", trace=trace)
    assert reply.status == 200
    assert b'"q": "1"' in reply.body
    assert trace.events[:4] == [
        "connection.connect_tcp.started",
        "connection.connect_tcp.complete",
        "connection.start_tls.started",
        "connection.start_tls.complete",
    ]
    await pool.aclose()


async def test_an_untrusted_certificate_is_a_connect_error(httpbin_secure: Any) -> None:
    pool = make_pool(ssl_context=ssl.create_default_context())
    trace = TraceLog()
    with pytest.raises(ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        await fetch(pool, httpbin_secure.url + "/get", trace=trace)
    assert trace.events[-1] == "connection.start_tls.failed"
    await pool.aclose()


async def test_tls_uses_the_name_and_tcp_the_dialed_address(trusted: ssl.SSLContext) -> None:
    names: list[str | None] = []
    resolver = MapResolver({"localhost": ["127.0.0.1"]})
    pool = make_pool(dialer=GuardedDialer(check=False, resolver=resolver), ssl_context=trusted)
    async with ScriptServer(echo_head, tls=server_context(names)) as server:
        url = server.url("/v1/me", host="localhost")
        for _ in range(2):
            reply = await fetch(pool, url)
            assert f"Host: localhost:{server.port}\r\n".encode() in reply.body
    assert names == ["localhost"]  # SNI carries the name, once: the connection is reused
    assert resolver.asked == ["localhost"]
    assert server.connections == 1
    await pool.aclose()


async def test_the_certificate_is_checked_against_the_name_not_the_address(
    trusted: ssl.SSLContext,
) -> None:
    # The certificate covers 127.0.0.1, where the connection goes, but not the name asked.
    names: list[str | None] = []
    resolver = MapResolver({"api.example.test": ["127.0.0.1"]})
    pool = make_pool(dialer=GuardedDialer(check=False, resolver=resolver), ssl_context=trusted)
    async with ScriptServer(echo_head, tls=server_context(names)) as server:
        with pytest.raises(ConnectError, match="Hostname mismatch"):
            await fetch(pool, server.url(host="api.example.test"))
    assert names == ["api.example.test"]
    await pool.aclose()


async def test_tls_settings_are_built_once_and_only_for_https(trusted: ssl.SSLContext) -> None:
    built: list[ssl.SSLContext] = []

    def build() -> ssl.SSLContext:
        built.append(trusted)
        return trusted

    pool = make_pool(ssl_context=build)
    async with RawServer(answer(OK)) as plain:
        await fetch(pool, plain.base_url)
    assert built == []
    async with ScriptServer(echo_head, tls=server_context([])) as server:
        await fetch(pool, server.url(host="localhost"), headers=[("Connection", "close")])
        await fetch(pool, server.url(host="localhost"))
    assert len(built) == 1
    await pool.aclose()
