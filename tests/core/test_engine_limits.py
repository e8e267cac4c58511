"""The engine's response-body cap, at the limit (relayed) and one byte past it (502).

The cap counts the body as the caller gets it: decoded when the engine decodes it, so
a small gzip body that expands past the cap is refused, and one that expands to exactly
the cap is relayed. Each framing the client reads is held to the same number.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable

import pytest

from tests.core.conftest import HarnessFactory, make_app
from tests.helpers.http11 import answer
from tests.helpers.servers import RawServer
from workbench.core.errors import ProxyError

pytestmark = pytest.mark.anyio

LIMIT = 4096


def with_length(body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


def chunked(body: bytes) -> bytes:
    half = len(body) // 2
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:half], body[half:]))
    return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"


def until_close(body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body


def gzipped(body: bytes) -> bytes:
    packed = gzip.compress(body)
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
    return head % len(packed) + packed


FRAMINGS: list[Callable[[bytes], bytes]] = [with_length, chunked, until_close, gzipped]


async def send_body(harness_factory: HarnessFactory, raw: bytes) -> bytes:
    close = raw.startswith(b"HTTP/1.1 200 OK\r\nConnection: close")
    async with RawServer(answer(raw, close=close)) as server:
        harness = await harness_factory(make_app(server.authority), max_response_bytes=LIMIT)
        result = await harness.send("/body")
    return result.body


@pytest.mark.parametrize("framing", FRAMINGS, ids=lambda framing: framing.__name__)
async def test_a_body_at_the_cap_is_relayed(
    harness_factory: HarnessFactory, framing: Callable[[bytes], bytes]
) -> None:
    body = bytes(range(256)) * (LIMIT // 256)
    assert await send_body(harness_factory, framing(body)) == body


@pytest.mark.parametrize("framing", FRAMINGS, ids=lambda framing: framing.__name__)
async def test_a_body_one_byte_past_the_cap_is_refused(
    harness_factory: HarnessFactory, framing: Callable[[bytes], bytes]
) -> None:
    body = bytes(range(256)) * (LIMIT // 256) + b"!"
    with pytest.raises(ProxyError) as caught:
        await send_body(harness_factory, framing(body))
    error = caught.value
    assert (error.status, error.code) == (502, "response_too_large")
    assert error.message.endswith(f"is larger than {LIMIT} bytes")


async def test_a_small_gzip_body_that_expands_past_the_cap_is_refused(
    harness_factory: HarnessFactory,
) -> None:
    raw = gzipped(b"\0" * (LIMIT + 1))
    assert len(raw) < LIMIT // 4  # what arrives is far below the cap
    with pytest.raises(ProxyError) as caught:
        await send_body(harness_factory, raw)
    assert caught.value.code == "response_too_large"
