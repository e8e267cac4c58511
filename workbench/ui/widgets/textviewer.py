"""A virtualized, read-only monospace text viewer that paints only the rows in sight.

``QPlainTextEdit`` lays out every line of its document up front: 7.6 s for 17 MB of pretty
JSON and 2.5 s for one 5 MB line, all on the UI thread. This viewer never builds a
document. It draws rows from a row source (:mod:`workbench.ui.rows`): UTF-8 bytes cut at
row starts that a worker computed, or a hex dump whose rows are made while painting. A
paint costs the same for 1 KB and for 50 MB.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import (
    QFontDatabase,
    QGuiApplication,
    QPainter,
    QPaintEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QWidget

from workbench.ui.rows import HexRows, Position, RowSource, TextRows
from workbench.ui.textsearch import MatchIndex, Needle, compile_needle, find_all
from workbench.ui.textwork import Progress, Text
from workbench.ui.widgets.viewerinput import ViewerInput
from workbench.ui.widgets.viewerpaint import PaintState, RowGeometry, RowPainter
from workbench.ui.widgets.viewerpalette import ViewerColors

SYNC_FIND_LIMIT = 2 << 20  # bytes searched on the UI thread; bigger texts go to the offload
SYNC_COPY_LIMIT = 2 << 20  # bytes of selection copied on the UI thread

# ``offload(channel, work, done)`` runs ``work(progress)`` on a worker and calls
# ``done(result)`` on the UI thread, unless a newer job on the same channel superseded it.
Offload = Callable[[str, Callable[[Progress], Any], Callable[[Any], None]], object]


class TextViewer(ViewerInput, QAbstractScrollArea):
    """Read-only monospace text, or a hex dump, of any size.

    The vertical scroll bar counts rows and the horizontal one pixels. Selection and
    find work on byte offsets of the shown text, so copying a selection is a slice of it.

    Signals:
        matches_changed(int, int): the current match (from 1; 0 for none) and how many
            there are (-1 while a search runs on the worker).
        selection_changed(): the selection or the caret moved.
    """

    matches_changed = Signal(int, int)
    selection_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Response body")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setCursor(Qt.CursorShape.IBeamCursor)
        self._source: RowSource = TextRows(b"", array("Q", [0]), 0)
        self._highlight = False
        self._anchor: Position = (0, 0)
        self._caret: Position = (0, 0)
        self._matches: MatchIndex | None = None
        self._search: tuple[Needle, int, bool] | None = None  # needle, origin, forward
        self._search_serial = 0
        self._offload: Offload | None = None
        self._geometry = RowGeometry(self.font())
        self._painter = RowPainter(self._geometry, ViewerColors.from_palette(self.palette()))
        self._drag_pos: QPoint | None = None
        self._last_double_click: int | None = None
        self._autoscroll = QTimer(self, interval=40)
        self._autoscroll.timeout.connect(self.on_autoscroll)
        self._apply_font()

    # --- content ------------------------------------------------------------------------

    def set_text(
        self,
        data: Text,
        starts: array[int],
        widest: int | None = None,
        *,
        highlight_json: bool = False,
        keep_view: bool = False,
    ) -> None:
        """Show UTF-8 text laid out by :func:`workbench.ui.textwork.index_rows`.

        Args:
            data: the text.
            starts: its row start offsets.
            widest: its widest row in bytes (found from ``starts`` when not given).
            highlight_json: colour the visible rows as JSON.
            keep_view: keep the scroll position, caret and selection (the new text
                continues the one shown, as the whole body continues its start).
        """
        kept = (self._anchor, self._caret)
        vbar, hbar = self.verticalScrollBar(), self.horizontalScrollBar()
        scroll = (vbar.value(), hbar.value())
        self._show(TextRows(data, starts, widest), highlight_json)
        if keep_view and self._source.count:
            vbar.setValue(scroll[0])
            hbar.setValue(scroll[1])
            last = self._source.count - 1
            self._anchor, self._caret = (min(pos, (last, 0)) for pos in kept)
            self.selection_changed.emit()

    def set_hex(self, data: bytes) -> None:
        """Show a hex dump of ``data``; its rows are made as they are painted."""
        self._show(HexRows(data), False)

    def clear(self) -> None:
        """Show nothing."""
        self.set_text(b"", array("Q", [0]), 0)

    def _show(self, source: RowSource, highlight: bool) -> None:
        self._source = source
        self._highlight = highlight
        self._painter.forget()
        self._anchor = self._caret = (0, 0)
        self.clear_find()
        self.verticalScrollBar().setValue(0)
        self.horizontalScrollBar().setValue(0)
        self._relayout()
        self.selection_changed.emit()

    def row_count(self) -> int:
        """How many display rows the text has."""
        return self._source.count

    def is_hex(self) -> bool:
        """Whether a hex dump is shown."""
        return isinstance(self._source, HexRows)

    def data(self) -> Text:
        """The bytes shown (the text, or the bytes dumped)."""
        return self._source.data

    def toPlainText(self) -> str:
        """All of the text shown, as QPlainTextEdit.toPlainText gives it."""
        return self._source.plain_text()

    def set_offload(self, offload: Offload | None) -> None:
        """Run searches and copies of big texts through ``offload`` (see :data:`Offload`)."""
        self._offload = offload

    # --- selection and copy ---------------------------------------------------------------

    def selection(self) -> tuple[Position, Position] | None:
        """The selection's (first, last) positions, or None when nothing is selected."""
        if self._anchor == self._caret:
            return None
        return min(self._anchor, self._caret), max(self._anchor, self._caret)

    def caret(self) -> Position:
        """The caret's (row, column)."""
        return self._caret

    def select(self, anchor: Position, caret: Position) -> None:
        """Select from ``anchor`` to ``caret`` and bring the caret into view."""
        self._anchor, self._caret = anchor, caret
        self._ensure_visible(caret)
        self.viewport().update()
        self.selection_changed.emit()

    def select_all(self) -> None:
        """Select all of the text."""
        last = self._source.count - 1
        if last >= 0:
            self._anchor, self._caret = (0, 0), (last, len(self._source.raw(last)))
            self.viewport().update()
            self.selection_changed.emit()

    def selected_text(self) -> str:
        """The selected text ("" without a selection)."""
        chosen = self.selection()
        return "" if chosen is None else self._source.text_between(*chosen)

    def copy(self) -> bool:
        """Copy the selection to the clipboard; a big one is put together on the offload.

        Returns:
            Whether there was a selection to copy.
        """
        chosen = self.selection()
        if chosen is None:
            return False
        source = self._source
        if self._offload is not None and self._selection_cost(*chosen) > SYNC_COPY_LIMIT:
            self._offload("copy", lambda progress: source.text_between(*chosen), _to_clipboard)
        else:
            _to_clipboard(source.text_between(*chosen))
        return True

    def _selection_cost(self, first: Position, last: Position) -> int:
        """About how many bytes copying the selection touches (hex rows cost 5x their data)."""
        if isinstance(self._source, HexRows):
            return (last[0] - first[0] + 1) * 80
        return self._source.byte_of(*last) - self._source.byte_of(*first)

    # --- find -------------------------------------------------------------------------------

    def find(  # type: ignore[override]  # hides QWidget.find(WId), a static lookup
        self, needle: str, case_sensitive: bool = False, forward: bool = True
    ) -> bool:
        """Make the next (or previous) match of ``needle`` current and bring it into view.

        A new needle searches the whole text, from where the current match (or the caret)
        is; the same needle again steps to the next match, wrapping around. Over
        :data:`SYNC_FIND_LIMIT` bytes with an offload set, the search runs on the worker:
        this returns False, ``matches_changed`` reports ``total == -1`` and, when the
        search is done, the match it finds.

        Returns:
            Whether a match is current now.
        """
        if not needle:
            self.clear_find()
            return False
        search = self._search
        if search is not None and (search[0].text, search[0].case_sensitive) == (
            needle,
            case_sensitive,
        ):
            if self._matches is None:  # still searching: remember the direction
                self._search = (search[0], search[1], forward)
                return False
            return self._step(self._matches, self._origin(), forward, inclusive=False)
        origin = self._origin()
        self._search = (compile_needle(needle, case_sensitive), origin, forward)
        self._matches = None
        self._search_serial += 1
        data = self._source.data
        compiled = self._search[0]
        if self._offload is None or len(data) <= SYNC_FIND_LIMIT:
            self._matches = MatchIndex(compiled, *find_all(data, compiled))
            return self._step(self._matches, origin, forward, inclusive=True)
        serial = self._search_serial
        self._offload(
            "find",
            lambda progress: MatchIndex(compiled, *find_all(data, compiled, progress)),
            lambda index: self._on_search_finished(serial, index),
        )
        self.matches_changed.emit(0, -1)
        return False

    def _on_search_finished(self, serial: int, index: MatchIndex) -> None:
        if serial != self._search_serial or self._search is None:
            return
        self._matches = index
        self._step(index, self._search[1], self._search[2], inclusive=True)

    def _origin(self) -> int:
        """Where a new search starts: the current match, else the selection or caret."""
        if self._matches is not None and self._matches.current >= 0:
            return self._matches.starts[self._matches.current]
        return self._source.byte_of(*min(self._anchor, self._caret))

    def _step(self, index: MatchIndex, origin: int, forward: bool, inclusive: bool) -> bool:
        current = index.step(origin, forward, inclusive)
        if current >= 0:
            start, end = index.span(self._source.data, current)
            first = self._source.pos_of(start)
            if isinstance(self._source, TextRows):
                self.select(first, self._source.pos_of(end))
            else:
                self.select(first, first)
        self.viewport().update()
        self.matches_changed.emit(current + 1, len(index))
        return current >= 0

    def match_count(self) -> int:
        """How many matches the last search found (0 while it runs)."""
        return 0 if self._matches is None else len(self._matches)

    def matches_truncated(self) -> bool:
        """Whether the last search stopped counting at its limit."""
        return self._matches is not None and self._matches.truncated

    def current_match(self) -> int:
        """The current match, counted from 1 (0 for none)."""
        return 0 if self._matches is None else self._matches.current + 1

    def clear_find(self) -> None:
        """Forget the search and its highlights."""
        self._search = None
        self._matches = None
        self._search_serial += 1
        self.viewport().update()
        self.matches_changed.emit(0, 0)

    # --- geometry ---------------------------------------------------------------------------

    def _apply_font(self) -> None:
        """Use the system's monospace family at the application font's size (zoom follows)."""
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        base = QApplication.font()
        if base.pointSizeF() > 0:
            font.setPointSizeF(base.pointSizeF())
        elif base.pixelSize() > 0:
            font.setPixelSize(base.pixelSize())
        self.setFont(font)
        self._update_metrics()

    def _update_metrics(self) -> None:
        self._geometry = RowGeometry(self.font())
        self._painter.geometry = self._geometry
        self._relayout()

    def _rows_in_view(self) -> int:
        return max(1, self.viewport().height() // self._geometry.lh)

    def _relayout(self) -> None:
        page = self._rows_in_view()
        vbar = self.verticalScrollBar()
        vbar.setRange(0, max(0, self._source.count - page))
        vbar.setPageStep(page)
        geometry = self._geometry
        width = geometry.margin + (self._source.widest + 1) * geometry.cw
        hbar = self.horizontalScrollBar()
        hbar.setRange(0, max(0, math.ceil(width - self.viewport().width())))
        hbar.setPageStep(self.viewport().width())
        hbar.setSingleStep(max(1, round(geometry.cw * 4)))
        self.viewport().update()

    def _pos_at(self, point: QPoint) -> Position:
        """The (row, column) nearest to a viewport point."""
        count = self._source.count
        if not count:
            return 0, 0
        row = self.verticalScrollBar().value() + math.floor(point.y() / self._geometry.lh)
        row = min(max(row, 0), count - 1)
        text = self._source.text(row)
        return row, self._geometry.col_at(text, point.x(), self.horizontalScrollBar().value())

    def _ensure_visible(self, pos: Position) -> None:
        row, col = pos
        vbar = self.verticalScrollBar()
        page = self._rows_in_view()
        if row < vbar.value() or row >= vbar.value() + page:
            vbar.setValue(row - page // 3 if page > 3 else row)
        if row < self._source.count:
            hbar = self.horizontalScrollBar()
            geometry = self._geometry
            x = geometry.x_of(self._source.text(row), col, hbar.value())
            if x < geometry.margin or x > self.viewport().width() - geometry.cw:
                hbar.setValue(round(hbar.value() + x - self.viewport().width() / 2))

    # --- painting ---------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint the rows in view (see :class:`RowPainter`)."""
        painter = QPainter(self.viewport())
        painter.fillRect(event.rect(), self._painter.colors.base)
        painter.setFont(self.font())
        first = self.verticalScrollBar().value()
        last = min(self._source.count, first + self._rows_in_view() + 1)
        if first >= last:
            return
        state = PaintState(
            source=self._source,
            first=first,
            last=last,
            hscroll=self.horizontalScrollBar().value(),
            width=self.viewport().width(),
            selection=self.selection(),
            matches=self._visible_matches(first, last),
            caret=self._caret if self.hasFocus() else None,
            highlight=self._highlight,
        )
        self._painter.paint(painter, state, self.viewport().height())

    def _visible_matches(self, first: int, last: int) -> list[tuple[int, int, bool]]:
        index = self._matches
        if index is None or not len(index):
            return []
        low = self._source.row_span(first)[0]
        high = self._source.row_span(last - 1)[1]
        current = index.starts[index.current] if index.current >= 0 else -1
        data = self._source.data
        return [(start, end, start == current) for start, end in index.within(data, low, high)]

    # --- events ------------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        """Follow zoom: the window scales the application font, which is ours to follow.

        ApplicationFontChange reaches ``event`` only, not ``changeEvent``; and since the
        viewer sets its own (monospace) font, no FontChange propagates to it either.
        """
        if event.type() == QEvent.Type.ApplicationFontChange:
            self._apply_font()
        return super().event(event)

    def changeEvent(self, event: QEvent) -> None:
        """Re-measure on a font change; recolour on a palette (theme) change."""
        kind = event.type()
        if kind == QEvent.Type.FontChange:
            self._update_metrics()
        elif kind in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._painter.colors = ViewerColors.from_palette(self.palette())
            self.viewport().update()
        super().changeEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Lay the scroll bars out for the new size."""
        super().resizeEvent(event)
        self._relayout()


def _to_clipboard(text: str) -> None:
    QGuiApplication.clipboard().setText(text)
