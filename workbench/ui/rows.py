"""Qt-free row sources for the text viewer: UTF-8 text laid out by row starts, or a hex dump.

A source turns row numbers into the text of that row and maps between (row, column)
positions and byte offsets of the body, so selection, copy and find work on bytes while
painting works on rows. Nothing here touches more than the rows asked for, except
``plain_text`` and large ``text_between`` ranges, which callers keep off the UI thread.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from itertools import pairwise

from workbench.ui.textwork import (
    HEX_ASCII_COLUMN,
    HEX_WIDTH,
    Text,
    hex_column,
    hex_row,
    hex_row_count,
)

# Shown instead of what a monospace row cannot draw, one character for one, so columns
# still map to bytes: control bytes as a middle dot (as hex dumps show them; Unicode's
# control pictures are missing from common monospace fonts such as DejaVu Sans Mono), a
# tab as a space, and a byte that is not UTF-8 (decoded as a lone surrogate) as U+FFFD.
_DISPLAY = dict.fromkeys([*range(32), 0x7F], 0xB7)
_DISPLAY[ord("\t")] = ord(" ")
_DISPLAY.update({code: 0xFFFD for code in range(0xDC80, 0xDD00)})


class TextRows:
    """UTF-8 text split into display rows at the given start offsets.

    Attributes:
        data: the text's bytes.
        starts: ``array('Q')`` of row start offsets, ``starts[0] == 0``.
        widest: the widest row, in columns (bytes, an upper bound for characters).
    """

    kind = "text"

    def __init__(self, data: Text, starts: array[int], widest: int | None = None) -> None:
        self.data = data
        self.starts = starts
        if widest is None:
            bounds = [*starts, len(data)]
            widest = max((b - a for a, b in pairwise(bounds)), default=0)
        self.widest = widest

    @property
    def count(self) -> int:
        """How many rows there are (0 for empty text)."""
        return len(self.starts) if self.data else 0

    def bounds(self, row: int) -> tuple[int, int]:
        """The byte range of a row's content, its line break excluded."""
        start = self.starts[row]
        end = self.starts[row + 1] if row + 1 < len(self.starts) else len(self.data)
        if end > start and self.data[end - 1] == 0x0A:
            end -= 1
            if end > start and self.data[end - 1] == 0x0D:
                end -= 1
        return start, end

    def raw(self, row: int) -> str:
        """A row decoded one character per column; bytes that are not UTF-8 as surrogates."""
        start, end = self.bounds(row)
        return self.data[start:end].decode("utf-8", "surrogateescape")

    def text(self, row: int) -> str:
        """A row as drawn (see ``_DISPLAY``), as long as :meth:`raw`."""
        return self.raw(row).translate(_DISPLAY)

    def is_continuation(self, row: int) -> bool:
        """Whether a row continues a line too long for one row."""
        start = self.starts[row]
        return start > 0 and self.data[start - 1] != 0x0A

    def byte_of(self, row: int, col: int) -> int:
        """The byte offset of column ``col`` of ``row`` (clamped to the row)."""
        return self.starts[row] + len(self.raw(row)[:col].encode("utf-8", "surrogateescape"))

    def pos_of(self, offset: int) -> tuple[int, int]:
        """The (row, column) of byte ``offset``."""
        row = max(0, bisect_right(self.starts, offset) - 1)
        start, end = self.bounds(row)
        piece = self.data[start : min(max(offset, start), end)]
        return row, len(piece.decode("utf-8", "surrogateescape"))

    def row_span(self, row: int) -> tuple[int, int]:
        """The bytes a row owns, line break included."""
        end = self.starts[row + 1] if row + 1 < len(self.starts) else len(self.data)
        return self.starts[row], end

    def spans_of_bytes(self, row: int, start: int, end: int) -> list[tuple[int, int]]:
        """The column spans of ``row`` that show bytes ``start:end``."""
        low, high = self.bounds(row)
        start, end = max(start, low), min(end, high)
        if start >= end:
            return []
        first = len(self.data[low:start].decode("utf-8", "surrogateescape"))
        return [(first, first + len(self.data[start:end].decode("utf-8", "surrogateescape")))]

    def text_between(self, first: tuple[int, int], last: tuple[int, int]) -> str:
        """The text from position ``first`` to ``last`` (line breaks as in the data)."""
        start, end = self.byte_of(*first), self.byte_of(*last)
        return self.data[start:end].decode("utf-8", "replace")

    def plain_text(self) -> str:
        """All of the text."""
        return self.data.decode("utf-8", "replace")


class HexRows:
    """A hex dump of bytes, rows made on demand.

    Attributes:
        data: the bytes dumped.
        widest: the width of a full row in columns.
    """

    kind = "hex"
    widest = len(hex_row(bytes(HEX_WIDTH), 0))

    def __init__(self, data: Text) -> None:
        self.data = data

    @property
    def count(self) -> int:
        """How many rows there are."""
        return hex_row_count(len(self.data))

    def raw(self, row: int) -> str:
        """A row of the dump."""
        return hex_row(self.data, row)

    text = raw

    def is_continuation(self, row: int) -> bool:
        """Hex rows never continue a line."""
        return False

    def byte_of(self, row: int, col: int) -> int:
        """The byte under column ``col`` of ``row`` (its hex pair or its ASCII cell)."""
        if col >= HEX_ASCII_COLUMN:
            index = col - HEX_ASCII_COLUMN
        else:
            index = (col - 10 - (col >= hex_column(8))) // 3
        index = min(max(index, 0), HEX_WIDTH - 1)
        return min(row * HEX_WIDTH + index, len(self.data))

    def pos_of(self, offset: int) -> tuple[int, int]:
        """The (row, column) of byte ``offset``'s hex pair."""
        return offset // HEX_WIDTH, hex_column(offset % HEX_WIDTH)

    def row_span(self, row: int) -> tuple[int, int]:
        """The bytes a row shows."""
        return row * HEX_WIDTH, min(len(self.data), (row + 1) * HEX_WIDTH)

    def spans_of_bytes(self, row: int, start: int, end: int) -> list[tuple[int, int]]:
        """The hex and ASCII column spans of ``row`` that show bytes ``start:end``."""
        low, high = self.row_span(row)
        start, end = max(start, low), min(end, high)
        if start >= end:
            return []
        first, last = start - low, end - 1 - low
        return [
            (hex_column(first), hex_column(last) + 2),
            (HEX_ASCII_COLUMN + first, HEX_ASCII_COLUMN + last + 1),
        ]

    def text_between(self, first: tuple[int, int], last: tuple[int, int]) -> str:
        """The dump's text from position ``first`` to ``last``."""
        lines = [hex_row(self.data, row) for row in range(first[0], last[0] + 1)]
        lines[-1] = lines[-1][: last[1]]
        lines[0] = lines[0][first[1] :]
        return "\n".join(lines)

    def plain_text(self) -> str:
        """The whole dump, one row a line (joined in batches: one join per 4096 rows)."""
        batches = [
            "\n".join(
                [hex_row(self.data, row) for row in range(first, min(first + 4096, self.count))]
            )
            for first in range(0, self.count, 4096)
        ]
        return "\n".join(batches)


RowSource = TextRows | HexRows
Position = tuple[int, int]
_WORD = re.compile(r"\w+")


def move(source: RowSource, pos: Position, motion: str, page: int = 1) -> Position:
    """Where a caret at ``pos`` goes for a keyboard motion.

    Args:
        source: the rows.
        pos: (row, column) of the caret.
        motion: ``left``, ``right``, ``up``, ``down``, ``page_up``, ``page_down``,
            ``line_start``, ``line_end``, ``doc_start``, ``doc_end``, ``word_left`` or
            ``word_right``.
        page: rows per page.

    Returns:
        The new (row, column), always inside the text.
    """
    count = source.count
    if not count:
        return 0, 0
    row, col = min(pos[0], count - 1), pos[1]
    length = len(source.raw(row))
    if motion == "left":
        return (row, col - 1) if col > 0 else (row - 1, len(source.raw(row - 1))) if row else pos
    if motion == "right":
        return (row, col + 1) if col < length else (row + 1, 0) if row + 1 < count else pos
    rows = {"up": -1, "down": 1, "page_up": -page, "page_down": page}
    if motion in rows:
        row = min(max(row + rows[motion], 0), count - 1)
        return row, min(col, len(source.raw(row)))
    if motion == "line_start":
        return row, 0
    if motion == "line_end":
        return row, length
    if motion == "doc_start":
        return 0, 0
    if motion == "doc_end":
        return count - 1, len(source.raw(count - 1))
    if motion == "word_right":
        word = _WORD.search(source.raw(row), col)
        return (row, word.end()) if word else move(source, (row, length), "right")
    if motion == "word_left":
        starts = [m.start() for m in _WORD.finditer(source.raw(row)) if m.start() < col]
        return (row, starts[-1]) if starts else move(source, (row, 0), "left")
    raise ValueError(f"unknown motion {motion!r}")


def word_at(source: RowSource, pos: Position) -> tuple[Position, Position]:
    """The word (a run of letters, digits and underscores) at ``pos``, or just ``pos``."""
    row, col = pos
    if not source.count:
        return pos, pos
    for word in _WORD.finditer(source.raw(row)):
        if word.start() <= col <= word.end():
            return (row, word.start()), (row, word.end())
    return pos, pos
