"""Qt-free decisions and preparation for the body view: modes, limits, text for the viewer.

:func:`prepare` runs on the body view's worker for anything but small bodies.
"""

from __future__ import annotations

import codecs
import re
from array import array

from workbench.ui.textwork import IMAGE_KINDS, Progress, Text, index_rows, reindent_json

GATE_BYTES = 2 * 1024 * 1024  # bodies above this are gated: their start shows, "Show all"
PREVIEW_BYTES = 256 * 1024  # what a gated body shows of its start
SYNC_BYTES = 64 * 1024  # text up to this size is prepared on the UI thread (a few ms)
COPY_LIMIT = 32 * 1024 * 1024  # the most text the Copy button puts on the clipboard
ROW_COLS = 2000  # the longest display row, in bytes: longer lines continue on the next row

# The modes each kind offers, the default first.
_MODES = {
    "json": ("pretty", "raw", "hex"),
    "text": ("raw", "hex"),
    "svg": ("preview", "raw", "hex"),
    "binary": ("hex",),
} | {kind: ("preview", "hex") for kind in IMAGE_KINDS}
_NAMES = {"text": "Text", "binary": "Binary"}  # the others read as acronyms: JSON, PNG
_SUFFIXES = {"json": ".json", "text": ".txt", "binary": ".bin", "jpeg": ".jpg"}

Prepared = tuple[Text, "array[int]", int]  # text, row starts, widest row
Key = tuple[str, bool]  # (mode, cut): how a text was prepared


def modes_for(kind: str) -> tuple[str, ...]:
    """The modes a body kind offers (``pretty``, ``raw``, ``hex``, ``preview``), default first."""
    return _MODES[kind]


def kind_name(kind: str) -> str:
    """How the status line names a kind: ``JSON``, ``Text``, ``PNG``..."""
    return _NAMES.get(kind, kind.upper())


def file_name(kind: str) -> str:
    """The file name the save dialog suggests."""
    return "response" + _SUFFIXES.get(kind, f".{kind}")


def human_size(size: int) -> str:
    """``532 B``, ``256 KiB``, ``3.2 MB``: how the body view names a size."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KiB"
    return f"{size / (1024 * 1024):.1f} MB"


def prepare(source: bytes, key: Key, charset: str | None, progress: Progress) -> Prepared:
    """Text and row layout for the viewer.

    Args:
        source: the body, or its start.
        key: (mode, cut): ``pretty`` reindents as JSON, ``raw`` transcodes to UTF-8; cut
            means ``source`` is the start of a longer body, so its last, partial row goes.
        charset: the Content-Type's charset.
        progress: the job's progress callback (formatting is 70% of it, rows 30%).

    Returns:
        (text, row starts, widest row) for :meth:`TextViewer.set_text`.
    """
    pretty, cut = key[0] == "pretty", key[1]

    def phase(low: int, high: int) -> Progress:
        return lambda done, total: progress(low * total + (high - low) * done, 100 * total)

    text = reindent_json(source, progress=phase(0, 70)) if pretty else to_utf8(source, charset)
    if cut and pretty:
        text = text[: 4 * PREVIEW_BYTES]  # deep nesting can blow the indentation up
    starts, widest = index_rows(text, ROW_COLS, phase(70, 100))
    if cut and len(starts) > 1:
        text = text[: starts[-1]]
        del starts[-1]
    return text, starts, widest


_CHARSET = re.compile(r';\s*charset\s*=\s*"?([^";\s]+)', re.IGNORECASE)
_TRANSCODE_CHUNK = 1 << 20


def charset_of(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type, if any."""
    match = _CHARSET.search(content_type or "")
    return match.group(1) if match else None


def to_utf8(data: Text, charset: str | None, progress: Progress | None = None) -> Text:
    """A text body as UTF-8, for the viewer (which draws UTF-8).

    Bodies in UTF-8, ASCII, an unknown charset or none are returned as they are (bytes that
    are not UTF-8 then show as U+FFFD); others are decoded 1 MiB at a time.
    """
    try:
        name = codecs.lookup(charset).name if charset else "utf-8"
    except LookupError:
        name = "utf-8"
    if name in ("utf-8", "ascii"):
        return data
    decoder = codecs.getincrementaldecoder(name)(errors="replace")
    out = []
    for start in range(0, len(data), _TRANSCODE_CHUNK):
        end = start + _TRANSCODE_CHUNK
        out.append(decoder.decode(data[start:end], final=end >= len(data)).encode())
        if progress is not None:
            progress(min(end, len(data)), len(data))
    return b"".join(out)
