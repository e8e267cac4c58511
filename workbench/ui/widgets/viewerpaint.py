"""How the text viewer places and paints rows: column geometry and the row painter."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter

from workbench.ui.rows import Position, RowSource, TextRows
from workbench.ui.textwork import json_spans, json_string_state
from workbench.ui.widgets.viewerpalette import ViewerColors

_CONTINUATION_MARK = "\u21aa"  # ↪ in the margin of a row that continues a long line


class RowGeometry:
    """Where columns sit for one monospace font.

    ASCII rows take the fast path (column times character width); other rows ask the
    font, since wide and combining characters do not fill exactly one cell.

    Attributes:
        cw: the width of a character cell.
        lh: the height of a row.
        ascent: the baseline's distance from a row's top.
        margin: the left margin, where continuation marks go.
    """

    def __init__(self, font: QFont) -> None:
        self.metrics = QFontMetricsF(font)
        self.cw = self.metrics.horizontalAdvance("M")
        self.lh = max(1, math.ceil(self.metrics.lineSpacing()))
        self.ascent = self.metrics.ascent()
        self.margin = math.ceil(self.cw * 1.5)

    def x_of(self, text: str, col: int, hscroll: int) -> float:
        """The viewport x of column ``col`` of a row whose text is ``text``."""
        offset = col * self.cw if text.isascii() else self.metrics.horizontalAdvance(text[:col])
        return self.margin + offset - hscroll

    def col_at(self, text: str, x: float, hscroll: int) -> int:
        """The column boundary nearest to viewport x ``x``."""
        x += hscroll - self.margin
        if text.isascii():
            return min(max(round(x / self.cw), 0), len(text))
        advance = self.metrics.horizontalAdvance
        low, high = 0, len(text)  # the last column starting at or before x, by bisection
        while low < high:
            middle = (low + high + 1) // 2
            if advance(text[:middle]) <= x:
                low = middle
            else:
                high = middle - 1
        if low < len(text) and x - advance(text[:low]) > advance(text[low]) / 2:
            low += 1
        return low


@dataclass
class PaintState:
    """What one paint of the viewer needs.

    Attributes:
        source: the rows.
        first: the first row in view.
        last: one past the last row in view.
        hscroll: the horizontal scroll offset in pixels.
        width: the viewport's width.
        selection: (first, last) positions, or None.
        matches: byte ranges of the find matches in view, and whether each is current.
        caret: the caret's position when it is drawn (the viewer has focus), else None.
        highlight: colour the rows as JSON.
    """

    source: RowSource
    first: int
    last: int
    hscroll: int
    width: int
    selection: tuple[Position, Position] | None
    matches: list[tuple[int, int, bool]]
    caret: Position | None
    highlight: bool


class RowPainter:
    """Paints the rows in view: match highlights, text, selection, caret, margin marks.

    Remembers, per row, whether a row that continues a long JSON line starts inside a
    string, so the colours of a 5 MB one-line string are worked out once.
    """

    def __init__(self, geometry: RowGeometry, colors: ViewerColors) -> None:
        self.geometry = geometry
        self.colors = colors
        self._string_states: dict[int, bool] = {}

    def forget(self) -> None:
        """Drop what was learnt about the previous text."""
        self._string_states = {}

    def paint(self, painter: QPainter, state: PaintState, height: int) -> None:
        """Paint ``state`` onto a viewport ``height`` pixels high."""
        geometry, colors, source = self.geometry, self.colors, state.source
        margin, lh = geometry.margin, geometry.lh
        painter.setClipRect(QRectF(margin, 0, state.width - margin, height))
        for row in range(state.first, state.last):
            top = (row - state.first) * lh
            text = source.text(row)
            for start, end, current in state.matches:
                for low, high in source.spans_of_bytes(row, start, end):
                    left = geometry.x_of(text, low, state.hscroll)
                    right = geometry.x_of(text, high, state.hscroll)
                    painter.fillRect(
                        QRectF(left, top, right - left, lh),
                        colors.current if current else colors.match,
                    )
            self._draw_text(painter, state, row, text, top, None)
            chosen = state.selection
            if chosen is not None and chosen[0][0] <= row <= chosen[1][0]:
                self._draw_selection(painter, state, row, text, top)
        if state.caret is not None and state.first <= state.caret[0] < state.last:
            row, col = state.caret
            x = geometry.x_of(source.text(row), col, state.hscroll)
            painter.fillRect(QRectF(x, (row - state.first) * lh, 1, lh), colors.text)
        painter.setClipping(False)
        painter.setPen(colors.muted)
        for row in range(state.first, state.last):
            if source.is_continuation(row):
                baseline = (row - state.first) * lh + geometry.ascent
                painter.drawText(QPointF(geometry.cw * 0.25, baseline), _CONTINUATION_MARK)

    def _draw_selection(
        self, painter: QPainter, state: PaintState, row: int, text: str, top: int
    ) -> None:
        assert state.selection is not None
        (first_row, first_col), (last_row, last_col) = state.selection
        geometry = self.geometry
        left = geometry.x_of(text, first_col if row == first_row else 0, state.hscroll)
        right = geometry.x_of(text, last_col if row == last_row else len(text), state.hscroll)
        if row < last_row and not state.source.is_continuation(row + 1):
            right += geometry.cw / 2  # the line break is selected too
        rect = QRectF(left, top, right - left, geometry.lh)
        painter.save()
        painter.setClipRect(rect, Qt.ClipOperation.IntersectClip)
        painter.fillRect(rect, self.colors.selection)
        self._draw_text(painter, state, row, text, top, self.colors.selected_text)
        painter.restore()

    def _draw_text(
        self,
        painter: QPainter,
        state: PaintState,
        row: int,
        text: str,
        top: int,
        color: QColor | None,
    ) -> None:
        """Draw a row's text, in ``color`` or (when None) its highlight colours."""
        geometry = self.geometry
        baseline = top + geometry.ascent
        low, high = 0, len(text)
        if text.isascii():  # monospace: only the columns in view
            low = int(state.hscroll / geometry.cw)
            high = min(high, low + int(state.width / geometry.cw) + 2)
        if low >= high:
            return

        def draw(start: int, end: int, pen: QColor) -> None:
            painter.setPen(pen)
            x = geometry.x_of(text, start, state.hscroll)
            painter.drawText(QPointF(x, baseline), text[start:end])

        if color is not None or not state.highlight:
            draw(low, high, color or self.colors.text)
            return
        syntax, plain = self.colors.syntax, self.colors.text
        done = low
        for start, end, kind in json_spans(text, self._in_string(state.source, row)):
            if end <= low or start >= high:
                continue
            start, end = max(start, low), min(end, high)
            if done < start and not text[done:start].isspace():
                draw(done, start, plain)
            draw(start, end, syntax[kind])
            done = end
        if done < high and not text[done:high].isspace():
            draw(done, high, plain)

    def _in_string(self, source: RowSource, row: int) -> bool:
        """Whether a row starts inside a JSON string (it continues a long line)."""
        if not isinstance(source, TextRows) or not source.is_continuation(row):
            return False
        states = self._string_states
        if row in states:
            return states[row]
        back = row - 1  # the nearest earlier row whose state is known: cached or a line start
        while back > 0 and source.is_continuation(back) and back not in states:
            back -= 1
        state = states.get(back, False)
        for known in range(back, row):
            start, end = source.starts[known], source.starts[known + 1]
            state = states[known + 1] = json_string_state(source.data, start, end, state)
        return state
