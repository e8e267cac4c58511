"""Content codings through the engine: bombs stop at the cap, broken streams are 502s."""

from __future__ import annotations

import gzip
import zlib

import pytest

from tests.core.conftest import HarnessFactory, make_app
from tests.helpers.servers import RawServer, respond
from workbench.core.errors import ProxyError

pytestmark = pytest.mark.anyio

CAP = 1024 * 1024  # the engine's response cap in these tests
ZEROS = b"\0" * (40 * CAP)
EMPTY_STORED_BLOCK = b"\x00\x00\x00\xff\xff"

BOMBS = {
    "gzip": (b"gzip", gzip.compress(ZEROS)),
    "deflate": (b"deflate", zlib.compress(ZEROS, 9)),
    "gzip-in-gzip": (b"gzip, gzip", gzip.compress(gzip.compress(ZEROS))),
    "deflate-in-gzip": (b"deflate, gzip", gzip.compress(zlib.compress(ZEROS, 9))),
}


async def send_encoded(
    harness_factory: HarnessFactory, coding: bytes, body: bytes
) -> ProxyError | bytes:
    headers = [("Content-Encoding", coding.decode())]
    async with RawServer(respond(200, headers, body)) as server:
        harness = await harness_factory(make_app(server.authority), max_response_bytes=CAP)
        try:
            return (await harness.send("/download")).body
        except ProxyError as error:
            return error


@pytest.mark.parametrize(("coding", "body"), BOMBS.values(), ids=BOMBS.keys())
async def test_a_compression_bomb_stops_at_the_cap(
    harness_factory: HarnessFactory, coding: bytes, body: bytes
) -> None:
    assert len(body) < CAP // 10
    error = await send_encoded(harness_factory, coding, body)
    assert isinstance(error, ProxyError)
    assert (error.status, error.code) == (502, "response_too_large")


async def test_a_stream_that_never_yields_output_ends_with_its_body(
    harness_factory: HarnessFactory,
) -> None:
    # 8 MiB of empty deflate blocks: the decoder keeps none of it, and the stream never
    # ends, so the body cannot be relayed as if it had decoded completely.
    body = b"\x78\x9c" + EMPTY_STORED_BLOCK * (8 * CAP // len(EMPTY_STORED_BLOCK))
    error = await send_encoded(harness_factory, b"deflate", body)
    assert isinstance(error, ProxyError)
    assert (error.status, error.code) == (502, "upstream_error")
    assert "ends before" in error.message


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        (b"gzip", b"not gzip at all"),
        (b"gzip", gzip.compress(b"hello" * 1000)[:-8]),
        (b"deflate", b"\x78\x9c" + b"\xff" * 100),
    ],
    ids=["not-gzip", "gzip-cut-short", "corrupt-deflate"],
)
async def test_a_body_that_does_not_decode_is_502(
    harness_factory: HarnessFactory, coding: bytes, body: bytes
) -> None:
    error = await send_encoded(harness_factory, coding, body)
    assert isinstance(error, ProxyError)
    assert (error.status, error.code) == (502, "upstream_error")


@pytest.mark.parametrize("coding", [b"br", b"zstd", b"gzip, compress"])
async def test_an_unknown_coding_is_relayed_untouched(
    harness_factory: HarnessFactory, coding: bytes
) -> None:
    assert await send_encoded(harness_factory, coding, b"\x8b\x00opaque") == b"\x8b\x00opaque"
