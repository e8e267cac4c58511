"""Generated response bodies: a real PNG, an SVG, and large deterministic documents."""

from __future__ import annotations

import functools
import struct
import zlib
from collections.abc import Iterator

MAX_LARGE_BYTES = 64 * 2**20
LARGE_FORMATS = {
    "json": "application/json",
    "text": "text/plain; charset=utf-8",
    "binary": "application/octet-stream",
}
_CHUNK = 64 * 1024


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


@functools.cache
def png_image(size: int = 64) -> bytes:
    """A small RGB PNG (a diagonal gradient with a checker), built from zlib and struct."""
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter type 0 (None) for every scanline
        for x in range(size):
            checker = 40 if (x // 8 + y // 8) % 2 else 0
            row += bytes((min(255, 4 * x + checker), min(255, 4 * y + checker), 200))
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _png_chunk(b"IEND", b"")
    )


SVG_IMAGE = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="64" viewBox="0 0 160 64">'
    '<rect width="160" height="64" rx="8" fill="#1f6feb"/>'
    '<text x="80" y="40" font-family="sans-serif" font-size="20" fill="#fff" '
    'text-anchor="middle">sandbox</text></svg>'
)


def _text_lines() -> Iterator[bytes]:
    number = 0
    while True:
        number += 1
        # Fixed-width numbered lines: the same document on every machine.
        yield f"line {number:010d} the quick brown fox jumps over the lazy dog.\n".encode()


def _json_items() -> Iterator[bytes]:
    number = 0
    while True:
        number += 1
        text = "the quick brown fox jumps over the lazy dog"
        yield f'{{"id":"item-{number:010d}","text":"{text}"}}'.encode()


def _cut(pieces: Iterator[bytes], size: int) -> Iterator[bytes]:
    """Exactly ``size`` bytes from an endless iterator of pieces, in ~64 KiB chunks."""
    buffer = bytearray()
    sent = 0
    for piece in pieces:
        buffer += piece
        if len(buffer) >= _CHUNK or sent + len(buffer) >= size:
            take = min(len(buffer), size - sent)
            yield bytes(buffer[:take])
            sent += take
            del buffer[:]
            if sent >= size:
                return


def _json_envelope(size: int) -> tuple[bytes, bytes]:
    return f'{{"bytes":{size},"items":['.encode(), b"]}"


def large_body_size(size: int, fmt: str) -> int:
    """The exact length :func:`large_body` produces for these arguments."""
    if fmt == "json":
        head, tail = _json_envelope(size)
        return max(size, len(head) + len(tail))
    return size


def _json_document(size: int) -> Iterator[bytes]:
    head, tail = _json_envelope(size)
    room = size - len(head) - len(tail)
    yield head

    def items() -> Iterator[bytes]:
        used = 0
        for index, item in enumerate(_json_items()):
            piece = item if index == 0 else b"," + item
            if used + len(piece) > room:
                break
            used += len(piece)
            yield piece
        # JSON allows whitespace between tokens: pad with it to hit the size exactly.
        while True:
            yield b" " * _CHUNK

    if room > 0:
        yield from _cut(items(), room)
    yield tail


def large_body(size: int, fmt: str) -> Iterator[bytes]:
    """A deterministic body of ``size`` bytes in the given format, streamed in chunks.

    JSON documents smaller than their fixed envelope (about 30 bytes) come out slightly
    bigger than asked (see :func:`large_body_size`); every other size is exact.

    Args:
        size: the body length in bytes, 0..64 MiB.
        fmt: ``json`` (a valid document), ``text`` (numbered lines) or ``binary``.
    """
    if fmt == "json":
        return _json_document(size)
    if size == 0:
        return iter(())
    if fmt == "text":
        return _cut(_text_lines(), size)
    return _cut(iter(lambda: bytes(range(256)) * 256, b""), size)
