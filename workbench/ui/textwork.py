"""Qt-free text work for the body viewer: reindent JSON, lay out rows, sniff, hex, highlight.

Everything here runs on a worker thread over bodies of tens of megabytes, so it keeps to
one rule: never hold the GIL for long. Loops step through the data in Python (the
interpreter hands the GIL to the UI thread every few milliseconds) and each C call they
make (a regex match, ``bytes.find``, a join) works on a bounded piece. A single
``b"".join`` over millions of pieces, ``re.findall`` over 20 MB or ``data.decode()`` of a
whole body would each freeze the window for as long as they run.

A ``progress`` callback, where a function takes one, is called now and then with
``(done, total)``; it may raise to abandon the work (the viewer does so when a newer body
supersedes the job).
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Callable, Iterator

Progress = Callable[[int, int], None]
Text = bytes | bytearray  # UTF-8 text: a body, or what reindent_json made of one

# The pieces of JSON, kept byte for byte: one punctuation byte, a string (maybe cut short at
# the end of the data), a whitespace run, or a run of anything else (numbers, literals,
# junk). Every byte belongs to exactly one piece, so the pieces of a window add up to its
# length; whitespace pieces are all that reindenting drops.
_PIECE = re.compile(
    rb'[{}\[\],:]|"[^"\\]*(?:\\.[^"\\]*)*"?|[ \t\r\n]+|[^ \t\r\n{}\[\],:"]+', re.DOTALL
)
_WINDOW = 1 << 15  # bytes one findall call tokenizes: ~1 ms of C holding the GIL
_WHITESPACE = frozenset(b" \t\r\n")
_COMMA, _COLON = ord(","), ord(":")
_OPEN = frozenset(b"{[")
_CLOSE = frozenset(b"}]")

# What the last piece written was decides the break before the next one, and the order of
# these matters: a value breaks after an opener, a comma or a value (>= _AFTER_OPEN); a
# closer after a comma or a value (>= _AFTER_COMMA), so ``{}`` and ``[]`` stay on one line.
# Nothing breaks before the first piece.
_AFTER_START, _AFTER_COLON, _AFTER_OPEN, _AFTER_COMMA, _AFTER_VALUE = range(5)


def json_pieces(data: bytes, progress: Progress | None = None) -> Iterator[list[bytes]]:
    """The pieces of ``data`` (tokens and whitespace runs), a window's worth at a time.

    ``findall`` over a bounded window costs far less per token than ``finditer``'s match
    objects. A window's end can cut its last piece, and a string's escape (a string cut
    just before a backslash ends early, leaving the backslash as the last piece), so the
    last two pieces are dropped and read again at the start of the next window.
    """
    size = len(data)
    findall = _PIECE.findall
    pos = 0
    while pos < size:
        end = min(size, pos + _WINDOW)
        pieces = findall(data, pos, end)
        if end < size:
            if len(pieces) > 2:
                end -= len(pieces.pop())
                end -= len(pieces.pop())
            else:  # a piece longer than the window: a long string
                match = _PIECE.match(data, pos)
                assert match is not None  # every byte starts a piece
                pieces, end = [match.group()], match.end()
        yield pieces
        pos = end
        if progress is not None:
            progress(pos, size)


def reindent_json(data: bytes, indent: int = 2, progress: Progress | None = None) -> bytearray:
    """Pretty-print JSON by changing whitespace only.

    Every token is kept exactly as sent: numbers, escapes, key order, duplicate keys. The
    layout matches ``json.dumps(..., indent=indent)``. Invalid or truncated input is
    formatted as well as its tokens allow, never rejected, so the first 256 KiB of a huge
    body can be shown; two values with no separator between them (NDJSON, junk) go on
    separate lines rather than being glued together.

    Args:
        data: the body (UTF-8 or any ASCII-compatible encoding).
        indent: spaces per nesting level.
        progress: called with ``(bytes consumed, len(data))`` after every window.

    Returns:
        The reindented text. A bytearray, grown window by window, rather than bytes: a
        final ``bytes`` copy of 50 MB of output holds the GIL ~30 ms (mostly page faults
        on the fresh block), where each window's append touches a few pages. It compares,
        slices, searches and decodes like bytes.
    """
    breaks = [b"\n"]
    step = b" " * indent
    out = bytearray()
    depth = 0
    after = _AFTER_START
    for pieces in json_pieces(data, progress):
        batch: list[bytes] = []
        append = batch.append
        for piece in pieces:
            first = piece[0]
            if first == _COMMA:
                append(piece)
                after = _AFTER_COMMA
            elif first == _COLON:
                append(b": ")
                after = _AFTER_COLON
            elif first in _CLOSE:
                if depth:
                    depth -= 1
                if after >= _AFTER_COMMA:
                    append(breaks[depth])
                append(piece)
                after = _AFTER_VALUE
            elif first in _WHITESPACE:
                continue
            else:
                if after >= _AFTER_OPEN:
                    append(breaks[depth])
                append(piece)
                if first in _OPEN:
                    depth += 1
                    if depth == len(breaks):
                        breaks.append(breaks[-1] + step)
                    after = _AFTER_OPEN
                else:
                    after = _AFTER_VALUE
        out += b"".join(batch)
    return out


def index_rows(
    data: Text, max_cols: int, progress: Progress | None = None
) -> tuple[array[int], int]:
    """Display-row start offsets and the widest row, in bytes.

    Lines end at ``\\n``; a line longer than ``max_cols`` bytes is split into rows at a
    UTF-8 character boundary. Every byte belongs to exactly one row; a final newline ends
    the last row rather than starting an empty one.

    Args:
        data: UTF-8 text.
        max_cols: the most bytes in a row (at least 4, so a character always fits).
        progress: called with ``(bytes indexed, len(data))`` every few thousand lines.

    Returns:
        ``(starts, widest)``: ``array('Q')`` of row start offsets (``[0]`` for empty data)
        and the longest row's length in bytes, its line break not counted.
    """
    max_cols = max(max_cols, 4)
    starts = array("Q", [0])
    append = starts.append
    find = data.find
    size = len(data)
    pos = 0
    widest = 0
    lines = 0
    while pos < size:
        end = find(b"\n", pos)
        following = end + 1
        if end < 0:
            end = following = size
        while end - pos > max_cols:
            cut = pos + max_cols
            while cut > pos and data[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte
                cut -= 1
            if cut == pos:  # not UTF-8 after all: cut anywhere
                cut = pos + max_cols
            append(cut)
            widest = max(widest, cut - pos)
            pos = cut
        if end - pos > widest:
            widest = end - pos
        if following < size:
            append(following)
        pos = following
        lines += 1
        if progress is not None and not lines & 0x3FFF:
            progress(pos, size)
    if progress is not None:
        progress(size, size)
    return starts, widest


def row_starts(data: Text, max_cols: int, progress: Progress | None = None) -> array[int]:
    """Display-row start offsets of ``data`` (see :func:`index_rows`)."""
    return index_rows(data, max_cols, progress)[0]


# --- JSON highlighting of one display row -------------------------------------------------

_ROW_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[{}\[\],:]|[^\s{}\[\],:"]+', re.DOTALL)
_STRING_REST = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?\Z")
_LITERALS = frozenset(("true", "false", "null"))
_NEXT_NON_SPACE = re.compile(r"\s*(.)", re.DOTALL)

Span = tuple[int, int, str]


def json_spans(text: str, in_string: bool = False) -> list[Span]:
    """The highlight spans of one display row of JSON.

    Args:
        text: the row as shown.
        in_string: the row starts inside a string (a long string split across rows).

    Returns:
        ``(start, end, kind)`` column spans, kind one of ``key``, ``string``, ``number``,
        ``literal``, ``punct``; whitespace and junk get no span.
    """
    spans: list[Span] = []
    pos = 0
    if in_string:
        pos = _STRING_REST.match(text).end()  # type: ignore[union-attr]  # always matches
        if pos:
            spans.append((0, pos, _string_kind(text, pos)))
    for match in _ROW_TOKEN.finditer(text, pos):
        token = match.group()
        start, end = match.span()
        first = token[0]
        if first == '"':
            spans.append((start, end, _string_kind(text, end)))
        elif first in "{}[],:":
            spans.append((start, end, "punct"))
        elif token in _LITERALS:
            spans.append((start, end, "literal"))
        elif _NUMBER.match(token):
            spans.append((start, end, "number"))
    return spans


def _string_kind(text: str, end: int) -> str:
    """``key`` when the string ending at ``end`` is followed by a colon, else ``string``."""
    after = _NEXT_NON_SPACE.match(text, end)
    return "key" if after is not None and after.group(1) == ":" else "string"


_STRING_STATE = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(")?', re.DOTALL)
_STRING_STATE_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*(")?', re.DOTALL)


def json_string_state(data: Text, start: int, end: int, in_string: bool = False) -> bool:
    """Whether offset ``end`` of JSON ``data`` falls inside a string.

    Args:
        data: the text.
        start: where to begin scanning.
        end: the offset asked about.
        in_string: whether ``start`` itself is inside a string.

    Returns:
        True when a string opened before ``end`` is still open there.
    """
    pos = start
    if in_string:
        rest = _STRING_STATE_REST.match(data, pos, end)
        assert rest is not None  # the pattern matches the empty string
        if rest.group(1) is None:
            return True
        pos = rest.end()
    last = None
    for match in _STRING_STATE.finditer(data, pos, end):
        last = match
    return last is not None and last.group(1) is None


# --- what kind of body is it --------------------------------------------------------------

IMAGE_KINDS = frozenset(("png", "jpeg", "gif", "webp"))
KINDS = frozenset(("json", "text", "svg", "binary")) | IMAGE_KINDS
_TEXT_TYPES = frozenset(
    (
        "application/xml",
        "application/javascript",
        "application/x-www-form-urlencoded",
        "application/x-ndjson",
        "application/yaml",
        "application/x-yaml",
        "application/graphql",
        "application/sql",
        "application/csv",
    )
)
_SVG_START = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>]",
    re.DOTALL | re.IGNORECASE,
)
_CONTROL = bytes(range(32)).translate(None, b"\t\n\r\f\x1b")


def sniff_kind(content_type: str | None, data: bytes) -> str:
    """Decide how to show a body: ``json``, ``text``, ``svg``, an image kind, or ``binary``.

    The bytes win over the label where they disagree: a PNG sent as
    ``application/octet-stream`` is previewed, and an ``image/png`` that is not a PNG is
    shown as hex.

    Args:
        content_type: the response's Content-Type, parameters allowed.
        data: the body (only its start is looked at).

    Returns:
        One of :data:`KINDS` (``png``, ``jpeg``, ``gif``, ``webp`` for images).
    """
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    head = data[:8192]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if (mime == "image/svg+xml" or not mime or mime.endswith("xml")) and _SVG_START.match(head):
        return "svg"
    if mime.startswith("image/") and mime != "image/svg+xml":
        return "binary"
    if mime in ("application/json", "text/json") or mime.endswith("+json"):
        return "json"
    textual = mime.startswith("text/") or mime in _TEXT_TYPES or mime.endswith("+xml")
    if not textual and _looks_binary(head):
        return "binary"
    if mime in ("", "text/plain", "application/octet-stream") and head.lstrip()[:1] in (
        b"{",
        b"[",
    ):
        return "json"
    return "text"


def _looks_binary(head: bytes) -> bool:
    """Whether the start of a body is not text: NUL bytes, control bytes, or not UTF-8."""
    if b"\0" in head:
        return True
    if head and len(head) - len(head.translate(None, _CONTROL)) > len(head) // 20:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut short by the 8 KiB window is still text.
        return error.reason != "unexpected end of data"
    return False


# --- hex dump ------------------------------------------------------------------------------

HEX_WIDTH = 16
_PRINTABLE = bytes(b if 32 <= b < 127 else ord(".") for b in range(256))
HEX_ASCII_COLUMN = 61  # where the ASCII column starts in a hex row


def hex_row(data: Text, row: int) -> str:
    """Row ``row`` of a hex dump: offset, 16 bytes in hex (two groups of 8), ASCII.

    ``00000010  7b 22 6f 6b 22 3a 74 72  75 65 7d 0a 00 00 00 00  |{"ok":true}.....|``
    """
    offset = row * HEX_WIDTH
    chunk = data[offset : offset + HEX_WIDTH]
    left = chunk[:8].hex(" ")
    right = chunk[8:].hex(" ")
    return f"{offset:08x}  {left:<23}  {right:<23}  |{chunk.translate(_PRINTABLE).decode()}|"


def hex_column(index: int) -> int:
    """The column where byte ``index`` (0-15) of a hex row starts in the hex part."""
    return 10 + 3 * index + (index >= 8)


def hex_row_count(size: int) -> int:
    """How many hex rows a body of ``size`` bytes has."""
    return -(-size // HEX_WIDTH)


# --- the composer's JSON check -------------------------------------------------------------


def check_json(text: str) -> tuple[int, int, str] | None:
    """Check that ``text`` is one JSON value (strict: no NaN or Infinity).

    Args:
        text: the composer's body; blank means no body and passes.

    Returns:
        None when valid, else ``(line, column, message)``, both counted from 1.
    """
    if not text.strip():
        return None
    try:
        json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        return error.lineno, error.colno, f"{error.msg}."
    except _ConstantError as error:
        token = error.args[0]
        for match in _ROW_TOKEN.finditer(text):
            if match.group() == token:
                line = text.count("\n", 0, match.start()) + 1
                column = match.start() - text.rfind("\n", 0, match.start())
                return line, column, f"{token} is not valid JSON."
        return 1, 1, f"{token} is not valid JSON."  # pragma: no cover - json found it
    return None


class _ConstantError(ValueError):
    """JSON's non-standard NaN / Infinity / -Infinity, which Python's parser accepts."""


def _reject_constant(name: str) -> None:
    raise _ConstantError(name)
