"""TLS in the HTTP/1.1 client: the name asked for is verified, TCP goes to the dialed IP."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import pytest
import pytest_httpbin.certs

from tests.helpers.http11 import (
    OK,
    TraceLog,
    answer,
    fetch,
    make_pool,
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
    return ssl.create_default_context(cafile=pytest_httpbin.certs.where())


def server_context(names: list[str | None]) -> ssl.SSLContext:
    """pytest-httpbin's certificate (localhost, 127.0.0.1), recording each TLS server name."""
    certs = pytest_httpbin.certs.where().rsplit("/", 1)[0]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(f"{certs}/server.pem", f"{certs}/server.key")
    context.sni_callback = lambda _socket, name, _context: names.append(name)
    return context


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


class MapResolver:
    """A resolver answering from a table, recording the names asked for."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return self.table[host]


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
