"""Content-Encoding: gzip and deflate decoded chunk by chunk, unknown codings left alone."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib

import pytest

from workbench.core.http.decoding import (
    ContentDecoder,
    DecodingError,
    TooLarge,
    codings,
    decoder_for,
)

TEXT = b'{"items": [' + b", ".join(b'"item %d"' % n for n in range(2000)) + b"]}"
LIMIT = 10 * len(TEXT)
MiB = 1024 * 1024


def deflate_raw(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def decode_in_pieces(decoder: ContentDecoder, body: bytes, size: int = 97) -> bytes:
    out = b""
    for start in range(0, len(body), size):
        out += decoder.decode(body[start : start + size], LIMIT - len(out))
    return out + decoder.flush(LIMIT - len(out))


@pytest.mark.parametrize(
    ("header", "encoded"),
    [
        (b"gzip", gzip.compress(TEXT)),
        (b"x-gzip", gzip.compress(TEXT)),
        (b"deflate", zlib.compress(TEXT)),
        (b"deflate", deflate_raw(TEXT)),  # what some servers send instead of zlib's format
        (b"gzip, deflate", zlib.compress(gzip.compress(TEXT))),  # applied in that order
        (b"identity, gzip", gzip.compress(TEXT)),
    ],
    ids=["gzip", "x-gzip", "deflate", "raw-deflate", "gzip-then-deflate", "identity-gzip"],
)
def test_known_codings_decode_in_any_chunking(header: bytes, encoded: bytes) -> None:
    for size in (1, 97, len(encoded)):
        decoder = decoder_for([(b"Content-Encoding", header)])
        assert decoder is not None
        assert decode_in_pieces(decoder, encoded, size) == TEXT


def test_repeated_headers_name_codings_in_order() -> None:
    headers = [
        (b"content-encoding", b"gzip"),
        (b"Content-Type", b"x"),
        (b"CONTENT-ENCODING", b"Br"),
    ]
    assert codings(headers) == ["gzip", "br"]


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [(b"Content-Encoding", b"identity")],
        [(b"Content-Encoding", b"br")],  # decoding it needs a library the engine lacks
        [(b"Content-Encoding", b"gzip, zstd")],
        [(b"Content-Encoding", b"compress")],
    ],
    ids=["none", "identity", "br", "gzip-zstd", "compress"],
)
def test_nothing_to_decode_or_an_unknown_coding_gives_no_decoder(
    headers: list[tuple[bytes, bytes]],
) -> None:
    assert decoder_for(headers) is None


def test_corrupt_body_is_a_decoding_error() -> None:
    decoder = decoder_for([(b"Content-Encoding", b"gzip")])
    assert decoder is not None
    with pytest.raises(DecodingError, match="gzip body is corrupt"):
        decoder.decode(b"this is not gzip at all", LIMIT)


def test_corruption_after_a_good_start_is_not_retried_as_raw_deflate() -> None:
    body = zlib.compress(TEXT)
    decoder = decoder_for([(b"Content-Encoding", b"deflate")])
    assert decoder is not None
    decoder.decode(body[:50], LIMIT)
    with pytest.raises(DecodingError, match="deflate body is corrupt"):
        decoder.decode(b"\xff" * 50, LIMIT)


def test_a_compression_bomb_stops_at_the_limit() -> None:
    bomb = gzip.compress(b"\0" * (50 * 2**20))  # 50 MiB of zeros in about 50 KiB
    decoder = decoder_for([(b"Content-Encoding", b"gzip")])
    assert decoder is not None
    with pytest.raises(TooLarge):
        decoder.decode(bomb, 2**20)


def test_exactly_the_limit_is_allowed() -> None:
    decoder = decoder_for([(b"Content-Encoding", b"gzip")])
    assert decoder is not None
    out = decoder.decode(gzip.compress(TEXT), len(TEXT))
    assert out + decoder.flush(len(TEXT) - len(out)) == TEXT


EMPTY_STORED_BLOCK = b"\x00\x00\x00\xff\xff"  # a deflate block of no bytes: input, no output
NO_OUTPUT = {
    "deflate": b"\x78\x9c",  # the zlib header, then empty blocks for ever
    "raw-deflate": b"",
    "gzip": gzip.compress(b"")[:10],  # the gzip header alone
}


@pytest.mark.parametrize("start", NO_OUTPUT.values(), ids=NO_OUTPUT.keys())
def test_a_stream_that_never_yields_output_holds_no_memory(start: bytes) -> None:
    coding = b"gzip" if start.startswith(b"\x1f\x8b") else b"deflate"
    decoder = decoder_for([(b"Content-Encoding", coding)])
    assert decoder is not None
    piece = EMPTY_STORED_BLOCK * (64 * 1024 // len(EMPTY_STORED_BLOCK))
    tracemalloc.start()
    try:
        assert decoder.decode(start, MiB) == b""
        for _ in range(200):  # 12.5 MiB that decode to nothing
            assert decoder.decode(piece, MiB) == b""
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * len(piece)


@pytest.mark.parametrize(
    ("header", "encoded"),
    [
        (b"gzip", gzip.compress(TEXT)[:-8]),  # no CRC and length trailer
        (b"gzip", gzip.compress(TEXT)[: len(TEXT) // 10]),
        (b"deflate", zlib.compress(TEXT)[:-4]),  # no Adler-32
        (b"deflate", deflate_raw(TEXT)[:-20]),
    ],
    ids=["gzip-no-trailer", "gzip-cut", "deflate-no-checksum", "raw-deflate-cut"],
)
def test_a_body_that_ends_before_its_stream_is_a_decoding_error(
    header: bytes, encoded: bytes
) -> None:
    decoder = decoder_for([(b"Content-Encoding", header)])
    assert decoder is not None
    with pytest.raises(DecodingError, match="ends before"):
        decode_in_pieces(decoder, encoded)


def test_an_empty_body_needs_no_stream() -> None:
    # A HEAD, 204 or 304 answer names its coding but carries no bytes.
    decoder = decoder_for([(b"Content-Encoding", b"gzip")])
    assert decoder is not None
    assert decoder.flush(LIMIT) == b""
