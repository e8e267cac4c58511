"""The engine on uvloop, the loop the command line runs it on (``workbench.eventloop``).

uvloop's transports are not ``asyncio.Transport`` subclasses and its TLS and flow control
are its own: the paths that touch them run here once more.
"""

from __future__ import annotations

import asyncio
import gzip
import ssl

import pytest
import pytest_httpbin.certs

from tests.core.conftest import CANARY, HarnessFactory, make_app
from tests.helpers.servers import RawServer, echo, respond, stall_after_headers
from workbench import eventloop
from workbench.core.errors import ProxyError

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(eventloop.loop_name() != "uvloop", reason="uvloop is not installed"),
]


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, bool]]:
    return "asyncio", {"use_uvloop": True}


async def test_exchange_and_reuse(harness_factory: HarnessFactory) -> None:
    assert type(asyncio.get_running_loop()).__module__.startswith("uvloop")
    async with RawServer(echo) as server:
        harness = await harness_factory(make_app(server.authority))
        first = await harness.send("/one", method="POST", body=b'{"a": 1}')
        second = await harness.send("/two")
    assert (first.status, second.status) == (200, 200)
    assert server.connections == 1
    assert second.timings.reused_connection
    assert server.requests[0].header("authorization") == f"Bearer {CANARY}"


async def test_large_gzip_body(harness_factory: HarnessFactory) -> None:
    payload = bytes(range(256)) * 16384  # 4 MiB: reading pauses and resumes
    answer = respond(200, [("Content-Encoding", "gzip")], gzip.compress(payload))
    async with RawServer(answer) as server:
        harness = await harness_factory(make_app(server.authority))
        result = await harness.send("/big")
    assert result.body == payload


async def test_deadline(harness_factory: HarnessFactory) -> None:
    async with RawServer(stall_after_headers) as server:
        harness = await harness_factory(make_app(server.authority), deadline=0.3)
        with pytest.raises(ProxyError) as caught:
            await harness.send("/x")
    assert caught.value.code == "upstream_timeout"


async def test_tls(harness_factory: HarnessFactory, httpbin_secure: object) -> None:
    url = httpbin_secure.url  # type: ignore[attr-defined]
    trusted = ssl.create_default_context(cafile=pytest_httpbin.certs.where())
    harness = await harness_factory(
        make_app(url.removeprefix("https://"), base=url), ssl_context=trusted
    )
    result = await harness.send("/get")
    assert result.status == 200
    assert result.timings.tls_ms > 0
