"""Pools kept apart: a kept-alive connection serves only requests its opening checks covered.

A connection opened for an account allowed on private networks must never carry a request
of an account that is not (its address was never checked for it), and a TLS connection
verified for one name must never carry a request for another name at the same address.
"""

from __future__ import annotations

import asyncio
import socket

import pytest

from tests.core.conftest import ACCOUNT, HarnessFactory, make_app
from tests.helpers.hostile import ThreadServer, certificates, serve_until_closed
from tests.helpers.http11 import OK, MapResolver, fetch, make_pool
from workbench.core.errors import ProxyError
from workbench.core.http.netguard import GuardedDialer
from workbench.core.http.wire import ConnectError

pytestmark = pytest.mark.anyio


def serve_ok(sock: socket.socket, index: int) -> None:
    serve_until_closed(sock, OK)


def public_https_server(tls: object) -> ThreadServer:
    """A TLS server on port 443 of a loopback address of its own (one per event loop, so
    parallel test workers never compete for it); skips where port 443 cannot be bound.
    """
    uvloop = type(asyncio.get_running_loop()).__module__.startswith("uvloop")
    address = ("127.0.0.42" if uvloop else "127.0.0.41", 443)
    try:
        return ThreadServer(serve_ok, tls=tls, address=address)  # type: ignore[arg-type]
    except OSError as error:
        pytest.skip(f"cannot listen on {address}: {error}")


async def test_a_private_accounts_connection_never_serves_a_public_account(
    harness_factory: HarnessFactory,
) -> None:
    server_tls, client_tls = certificates("api.example.com")
    with public_https_server(server_tls) as server:
        ip = server._listener.getsockname()[0]
        app = make_app(
            "api.example.com", base="https://api.example.com", allowed=("api.example.com",)
        )
        harness = await harness_factory(
            app,
            account=False,
            resolver=MapResolver({"api.example.com": [ip]}),
            ssl_context=client_tls,
        )
        harness.add_account(ACCOUNT, allow_private_network=True)  # a self-hosted install
        harness.add_account("apn_public", user="user-b", allow_private_network=False)
        assert (await harness.send("/me")).status == 200
        with pytest.raises(ProxyError) as caught:
            await harness.send("/me", account_id="apn_public", external_user_id="user-b")
        again = await harness.send("/me")
    assert (caught.value.status, caught.value.code) == (400, "private_address")
    assert again.timings.reused_connection
    assert server.connections == 1


async def test_a_tls_connection_is_never_reused_for_another_name() -> None:
    server_tls, client_tls = certificates("api.example.com")
    resolver = MapResolver({"api.example.com": ["127.0.0.1"], "evil.example.com": ["127.0.0.1"]})
    pool = make_pool(dialer=GuardedDialer(check=False, resolver=resolver), ssl_context=client_tls)
    with ThreadServer(serve_ok, tls=server_tls) as server:
        assert (await fetch(pool, server.url(host="api.example.com"))).body == b"ok"
        assert pool.idle_connections == 1
        with pytest.raises(ConnectError, match="Hostname mismatch"):
            await fetch(pool, server.url(host="evil.example.com"))
        assert (await fetch(pool, server.url(host="api.example.com"))).body == b"ok"
    assert server.connections == 2
    await pool.aclose()


async def test_one_address_under_two_names_gets_two_connections() -> None:
    resolver = MapResolver({"localhost": ["127.0.0.1"]})
    pool = make_pool(dialer=GuardedDialer(check=False, resolver=resolver))
    with ThreadServer(serve_ok) as server:
        for host in ("localhost", "127.0.0.1", "localhost", "127.0.0.1"):
            assert (await fetch(pool, server.url(host=host))).body == b"ok"
    assert server.connections == 2
    await pool.aclose()
