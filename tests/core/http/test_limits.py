"""The client's 64 KiB response-head cap, at the limit (accepted) and one byte past it.

The cap counts the status line, every header line and the blank line, and any interim
(1xx) heads before the final one, byte for byte as they arrive.
"""

from __future__ import annotations

import pytest

from tests.helpers.http11 import answer, fetch
from tests.helpers.servers import RawServer
from workbench.core.http.pool import ConnectionPool
from workbench.core.http.wire import RemoteProtocolError

pytestmark = pytest.mark.anyio

HEAD_LIMIT = 64 * 1024
BODY = b"ok"
INTERIM = b"HTTP/1.1 100 Continue\r\n\r\n"


def one_big_header(size: int) -> bytes:
    """A 200 response whose head is exactly ``size`` bytes, grown by one header."""
    start = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Fill: "
    return start + b"f" * (size - len(start) - 4) + b"\r\n\r\n" + BODY


def many_headers(size: int) -> bytes:
    """A 200 response whose head is exactly ``size`` bytes of ~100-byte header lines."""
    start = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
    rest = size - len(start) - 2
    count = rest // 100 - 1
    sizes = [100] * count + [rest - 100 * count]  # the last line takes 100-199 bytes
    lines = [b"X-" + b"m" * (line - 6) + b": \r\n" for line in sizes]
    return start + b"".join(lines) + b"\r\n" + BODY


def after_interim_heads(size: int) -> bytes:
    """Three 100 Continue heads, then a final head: ``size`` bytes of heads in all."""
    return INTERIM * 3 + one_big_header(size - 3 * len(INTERIM))


SHAPES = [one_big_header, many_headers, after_interim_heads]


def head_size(raw: bytes) -> int:
    return len(raw) - len(BODY)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda shape: shape.__name__)
async def test_a_head_at_the_limit_is_read(pool: ConnectionPool, shape: object) -> None:
    raw = shape(HEAD_LIMIT)  # type: ignore[operator]
    assert head_size(raw) == HEAD_LIMIT
    async with RawServer(answer(raw)) as server:
        reply = await fetch(pool, server.base_url)
    assert (reply.status, reply.body) == (200, BODY)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda shape: shape.__name__)
async def test_a_head_one_byte_past_the_limit_is_refused(
    pool: ConnectionPool, shape: object
) -> None:
    raw = shape(HEAD_LIMIT + 1)  # type: ignore[operator]
    assert head_size(raw) == HEAD_LIMIT + 1
    async with RawServer(answer(raw)) as server:
        with pytest.raises(
            RemoteProtocolError, match=f"^The response head exceeds {HEAD_LIMIT} bytes$"
        ):
            await fetch(pool, server.base_url)
    assert pool.idle_connections == 0
