"""Qt-free find over a body's bytes, in bounded steps so a worker never holds the GIL long."""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from workbench.ui.textwork import Progress, Text

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
    data: Text, needle: Needle, progress: Progress | None = None, limit: int = MATCH_LIMIT
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


def match_end(data: Text, needle: Needle, start: int) -> int:
    """Where the match of ``needle`` that starts at ``start`` ends."""
    match = needle.pattern.match(data, start)
    return start if match is None else match.end()


class MatchIndex:
    """The matches of one needle in one text, and which of them is current.

    Attributes:
        needle: what was searched for.
        starts: the start offset of every match, in order.
        truncated: whether the search stopped at :data:`MATCH_LIMIT`.
        current: the index of the current match in ``starts``, or -1.
    """

    def __init__(self, needle: Needle, starts: array[int], truncated: bool) -> None:
        self.needle = needle
        self.starts = starts
        self.truncated = truncated
        self.current = -1

    def __len__(self) -> int:
        return len(self.starts)

    def step(self, origin: int, forward: bool, inclusive: bool) -> int:
        """Make the next (or previous) match current and return its index (-1: none).

        Args:
            origin: the byte offset to search from when no match is current yet, or when
                ``inclusive`` (a new needle searches from where the last match started).
            forward: towards the end of the text; the search wraps around either way.
            inclusive: a match starting exactly at ``origin`` counts.
        """
        count = len(self.starts)
        if not count:
            self.current = -1
        elif self.current >= 0 and not inclusive:
            self.current = (self.current + (1 if forward else -1)) % count
        elif forward:
            index = (bisect_left if inclusive else bisect_right)(self.starts, origin)
            self.current = index % count
        else:
            index = (bisect_right if inclusive else bisect_left)(self.starts, origin) - 1
            self.current = index % count
        return self.current

    def span(self, data: Text, index: int) -> tuple[int, int]:
        """The byte range of match ``index``."""
        start = self.starts[index]
        return start, match_end(data, self.needle, start)

    def within(self, data: Text, low: int, high: int, most: int = 4096) -> list[tuple[int, int]]:
        """The byte ranges of (at most ``most``) matches that overlap ``low:high``."""
        first = bisect_left(self.starts, max(0, low - self.needle.longest + 1))
        last = min(bisect_left(self.starts, high), first + most)
        return [self.span(data, index) for index in range(first, last)]
