"""Statuses that are not final responses: an unsolicited 101, codes below 100, 1xx floods."""

from __future__ import annotations

import pytest

from tests.core.conftest import HarnessFactory, make_app
from tests.helpers.http11 import OK, answer, fetch
from tests.helpers.servers import RawServer
from workbench.core.errors import ProxyError
from workbench.core.http.pool import ConnectionPool
from workbench.core.http.wire import RemoteProtocolError

pytestmark = pytest.mark.anyio

SWITCH = b"HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"


@pytest.mark.parametrize(
    "raw",
    [
        SWITCH,
        SWITCH + b"\x81\x05hello",  # a websocket frame where the body would be
        b"HTTP/1.1 100 Continue\r\n\r\n" + SWITCH,
        b"HTTP/1.1 101 Switching Protocols\r\nContent-Length: 2\r\n\r\nok",
    ],
    ids=["upgrade", "upgrade-then-frames", "after-100", "with-a-length"],
)
async def test_an_unsolicited_switch_is_refused(pool: ConnectionPool, raw: bytes) -> None:
    async with RawServer(answer(raw, OK)) as server:
        with pytest.raises(RemoteProtocolError, match="101"):
            await fetch(pool, server.base_url)
        assert (await fetch(pool, server.base_url)).body == b"ok"
    assert server.connections == 2


@pytest.mark.parametrize("status", [b"000", b"001", b"099"])
async def test_a_status_below_100_is_refused(pool: ConnectionPool, status: bytes) -> None:
    raw = b"HTTP/1.1 %s Odd\r\nContent-Length: 2\r\n\r\nok" % status
    async with RawServer(answer(raw)) as server:
        with pytest.raises(RemoteProtocolError, match=f"status {int(status)}"):
            await fetch(pool, server.base_url)
    assert pool.idle_connections == 0


async def test_a_flood_of_interim_responses_is_refused(pool: ConnectionPool) -> None:
    hint = b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
    raw = hint * 2000 + b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    async with RawServer(answer(raw)) as server:
        with pytest.raises(RemoteProtocolError, match="head exceeds 65536 bytes"):
            await fetch(pool, server.base_url)


@pytest.mark.parametrize("reason", [b"O\x01K", b"O\x7fK", b"OK\x00"])
async def test_control_characters_in_the_reason_are_refused(
    pool: ConnectionPool, reason: bytes
) -> None:
    raw = b"HTTP/1.1 200 %s\r\nContent-Length: 2\r\n\r\nok" % reason
    async with RawServer(answer(raw)) as server:
        with pytest.raises(RemoteProtocolError):
            await fetch(pool, server.base_url)


@pytest.mark.parametrize("status", [299, 599, 999])
async def test_unusual_final_statuses_are_relayed(pool: ConnectionPool, status: int) -> None:
    interim = b"HTTP/1.1 199 Whatever\r\n\r\n"  # an unknown 1xx is skipped like any other
    final = b"HTTP/1.1 %d Unusual\r\nContent-Length: 2\r\n\r\nok" % status
    async with RawServer(answer(interim + final)) as server:
        reply = await fetch(pool, server.base_url)
    assert (reply.status, reply.body) == (status, b"ok")


async def test_the_engine_answers_an_unsolicited_switch_with_502(
    harness_factory: HarnessFactory,
) -> None:
    async with RawServer(answer(SWITCH)) as server:
        harness = await harness_factory(make_app(server.authority))
        with pytest.raises(ProxyError) as caught:
            await harness.send("/socket")
    assert (caught.value.status, caught.value.code) == (502, "upstream_error")
    assert "101" in caught.value.message
