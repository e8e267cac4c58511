"""Content-Encoding for relayed bodies: gzip and deflate decoded, bounded against bombs.

The engine relays a decoded body when it can decode every coding a response names, and
relays the bytes untouched, ``Content-Encoding`` kept, when it cannot (``br`` or ``zstd``
without their optional libraries, anything unknown): a body is never relayed as if it
were decoded when it is not. Output is capped as it is produced, so a small compressed
body cannot expand past the engine's response limit in memory; input is never kept beyond
a small sniffing window, so a stream that yields nothing holds nothing; and a stream cut
short is an error, not a prefix passed off as the whole body.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

# The windowBits argument of zlib for each coding (RFC 9110 8.4.1).
_WINDOW_BITS = {
    "gzip": zlib.MAX_WBITS | 16,
    "x-gzip": zlib.MAX_WBITS | 16,
    "deflate": zlib.MAX_WBITS,  # the zlib format; raw deflate is accepted as well
}


# deflate only: input kept to decode again as raw deflate, until output shows the format.
# zlib's two-byte header can pass its check by chance; past this much input that decoded
# to nothing without an error, the stream is taken to be what its header says.
_SNIFF_BYTES = 64 * 1024


class DecodingError(Exception):
    """The body does not decode with the coding its headers name."""


class TooLarge(Exception):
    """The decoded body exceeds the limit it was decoded against."""


def codings(headers: Iterable[tuple[bytes, bytes]]) -> list[str]:
    """The codings named by every ``Content-Encoding`` header, in the order applied."""
    named = [
        token.strip().lower()
        for name, value in headers
        if name.lower() == b"content-encoding"
        for token in value.decode("latin-1").split(",")
    ]
    return [coding for coding in named if coding and coding != "identity"]


def decoder_for(headers: Iterable[tuple[bytes, bytes]]) -> ContentDecoder | None:
    """A decoder for the response's codings; None when there are none or one is unknown."""
    applied = codings(headers)
    if not applied or any(coding not in _WINDOW_BITS for coding in applied):
        return None
    return ContentDecoder(applied)


class _Stage:
    """One coding undone with zlib."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._zlib = zlib.decompressobj(_WINDOW_BITS[coding])
        # deflate only: the input so far, until output shows it is in zlib's format. Some
        # servers send raw deflate instead, which fails zlib's header check: it is then
        # decoded again from the start as raw deflate.
        self._unsure: bytearray | None = bytearray() if coding == "deflate" else None
        self._fed = False

    def decode(self, data: bytes, limit: int) -> bytes:
        if not data:
            return b""
        self._fed = True
        if self._unsure is not None:
            self._unsure += data
            if len(self._unsure) > _SNIFF_BYTES:
                self._unsure = None  # a stream that yields nothing is kept nowhere
        try:
            out = self._zlib.decompress(data, limit + 1)
        except zlib.error as error:
            if self._unsure is None:
                raise DecodingError(f"The {self.coding} body is corrupt: {error}") from None
            seen, self._unsure = bytes(self._unsure), None
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            return self.decode(seen, limit)
        if out:
            self._unsure = None
        if len(out) > limit or self._zlib.unconsumed_tail:
            raise TooLarge
        return out

    def flush(self) -> bytes:
        try:
            out = self._zlib.flush()
        except zlib.error as error:
            raise DecodingError(f"The {self.coding} body is corrupt: {error}") from None
        if self._fed and not self._zlib.eof:
            # A cut stream decodes to a prefix: relayed, it would pass for the whole body.
            raise DecodingError(f"The {self.coding} body ends before its compressed stream does")
        return out


class ContentDecoder:
    """Undoes a response's content codings, chunk by chunk, output capped per call."""

    def __init__(self, applied: list[str]) -> None:
        """Create a decoder for ``applied`` (in the order the server applied them)."""
        self._stages = [_Stage(coding) for coding in reversed(applied)]

    def decode(self, data: bytes, limit: int) -> bytes:
        """Decode the next piece of the body.

        Raises:
            TooLarge: it decodes to more than ``limit`` bytes.
            DecodingError: it is not what its codings say.
        """
        for stage in self._stages:
            data = stage.decode(data, limit)
        return data

    def flush(self, limit: int) -> bytes:
        """What the decoders still hold once the body has ended (same errors)."""
        data = b""
        for stage in self._stages:
            data = stage.decode(data, limit) + stage.flush()
            if len(data) > limit:
                raise TooLarge
        return data
