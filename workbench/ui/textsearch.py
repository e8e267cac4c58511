"""Qt-free find over a body's bytes, in bounded steps so a worker never holds the GIL long."""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass

from workbench.ui.textwork import Progress

MATCH_LIMIT = 1_000_000  # beyond this the count reads "1,000,000+": an index costs 8 B a match
_CHUNK = 1 << 20  # bytes one regex call scans at most


@dataclass(frozen=True)
class Needle:
    """A compiled search string.

    Attributes:
        text: what the user typed.
        case_sensitive: whether case must match.
        pattern: matches the needle's UTF-8 bytes (and their case variants).
        longest: the most bytes one match can span.
    """

    text: str
    case_sensitive: bool
    pattern: re.Pattern[bytes]
    longest: int


def compile_needle(text: str, case_sensitive: bool = False) -> Needle:
    """Compile ``text`` into a bytes pattern.

    Ignoring case works beyond ASCII: each cased letter becomes an alternation of its
    lower- and upper-case UTF-8 forms (``é`` matches ``É``), because a bytes pattern's
    ``IGNORECASE`` only folds ASCII letters.
    """
    parts: list[bytes] = []
    longest = 0
    for char in text:
        variants = {char.encode()}
        if not case_sensitive and not char.isascii():
            variants |= {char.lower().encode(), char.upper().encode()}
        ordered = sorted(variants, key=len, reverse=True)
        longest += len(ordered[0])
        escaped = [re.escape(variant) for variant in ordered]
        parts.append(escaped[0] if len(escaped) == 1 else b"(?:" + b"|".join(escaped) + b")")
    flags = 0 if case_sensitive else re.IGNORECASE
    return Needle(text, case_sensitive, re.compile(b"".join(parts), flags), longest)


def find_all(
    data: bytes, needle: Needle, progress: Progress | None = None, limit: int = MATCH_LIMIT
) -> tuple[array[int], bool]:
    """The start offsets of every non-overlapping match, in order.

    Scans 1 MiB per regex call, so a rare needle in 40 MB does not hold the GIL for the
    whole scan.

    Args:
        data: the text searched.
        needle: from :func:`compile_needle`.
        progress: called with ``(bytes scanned, len(data))`` after each chunk.
        limit: stop after this many matches.

    Returns:
        ``(starts, truncated)``: ``array('Q')`` of offsets and whether ``limit`` cut it.
    """
    starts = array("Q")
    if not needle.text:
        return starts, False
    finditer = needle.pattern.finditer
    size = len(data)
    pos = 0
    while pos < size:
        boundary = pos + _CHUNK
        resume = boundary
        # A match starting before the boundary may run past it by up to longest - 1 bytes.
        for match in finditer(data, pos, min(size, boundary + needle.longest - 1)):
            if match.start() >= boundary:
                break
            starts.append(match.start())
            if len(starts) >= limit:
                return starts, True
            resume = max(resume, match.end())
        pos = resume
        if progress is not None:
            progress(min(pos, size), size)
    return starts, False


def match_end(data: bytes, needle: Needle, start: int) -> int:
    """Where the match of ``needle`` that starts at ``start`` ends."""
    match = needle.pattern.match(data, start)
    return start if match is None else match.end()
