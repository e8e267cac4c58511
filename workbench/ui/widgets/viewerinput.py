"""Keyboard and mouse for the text viewer: caret keys, selection by mouse, context menu."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent, QFocusEvent, QKeyEvent, QKeySequence, QMouseEvent
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QMenu

from workbench.ui.rows import Position, RowSource, move, word_at
from workbench.ui.widgets.viewerpaint import RowGeometry

_S = QKeySequence.StandardKey
_MOTIONS = (
    (_S.MoveToNextChar, _S.SelectNextChar, "right"),
    (_S.MoveToPreviousChar, _S.SelectPreviousChar, "left"),
    (_S.MoveToNextLine, _S.SelectNextLine, "down"),
    (_S.MoveToPreviousLine, _S.SelectPreviousLine, "up"),
    (_S.MoveToNextPage, _S.SelectNextPage, "page_down"),
    (_S.MoveToPreviousPage, _S.SelectPreviousPage, "page_up"),
    (_S.MoveToStartOfLine, _S.SelectStartOfLine, "line_start"),
    (_S.MoveToEndOfLine, _S.SelectEndOfLine, "line_end"),
    (_S.MoveToStartOfDocument, _S.SelectStartOfDocument, "doc_start"),
    (_S.MoveToEndOfDocument, _S.SelectEndOfDocument, "doc_end"),
    (_S.MoveToNextWord, _S.SelectNextWord, "word_right"),
    (_S.MoveToPreviousWord, _S.SelectPreviousWord, "word_left"),
)


if TYPE_CHECKING:  # type checkers see the widget the mixin lands in; at run time: object
    _Base = QAbstractScrollArea
else:
    _Base = object


class ViewerInput(_Base):
    """Input handling mixed into :class:`~workbench.ui.widgets.textviewer.TextViewer`.

    Kept apart so the viewer's module stays about showing text; it relies on the viewer's
    caret, anchor, geometry, ``select`` and ``_pos_at``.
    """

    _source: RowSource
    _anchor: Position
    _caret: Position
    _geometry: RowGeometry
    _autoscroll: QTimer
    _drag_pos: QPoint | None
    _last_double_click: int | None

    if TYPE_CHECKING:  # what the viewer provides

        def select(self, anchor: Position, caret: Position) -> None: ...
        def select_all(self) -> None: ...
        def copy(self) -> bool: ...
        def selection(self) -> tuple[Position, Position] | None: ...
        def _pos_at(self, point: QPoint) -> Position: ...
        def _rows_in_view(self) -> int: ...

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Caret keys, Ctrl+C and Ctrl+A."""
        if event.matches(_S.Copy):
            self.copy()
            return
        if event.matches(_S.SelectAll):
            self.select_all()
            return
        for plain, extend, motion in _MOTIONS:
            if event.matches(plain) or event.matches(extend):
                caret = move(self._source, self._caret, motion, self._rows_in_view())
                self.select(caret if event.matches(plain) else self._anchor, caret)
                return
        super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        """Show the caret."""
        super().focusInEvent(event)
        self.viewport().update()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        """Hide the caret."""
        super().focusOutEvent(event)
        self.viewport().update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Place the caret; Shift extends the selection; a third click selects the row."""
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        pos = self._pos_at(event.position().toPoint())
        last = self._last_double_click
        if last is not None and 0 <= event.timestamp() - last < QApplication.doubleClickInterval():
            self.select((pos[0], 0), (pos[0], len(self._source.raw(pos[0]))))
            return
        shift = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        self.select(self._anchor if shift else pos, pos)
        self._drag_pos = event.position().toPoint()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """Extend the selection while dragging; scroll when the mouse leaves the view."""
        if self._drag_pos is None:
            return
        self._drag_pos = event.position().toPoint()
        inside = 0 <= self._drag_pos.y() < self.viewport().height()
        if inside:
            self._autoscroll.stop()
        elif not self._autoscroll.isActive():
            self._autoscroll.start()
        self.select(self._anchor, self._pos_at(self._drag_pos))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """End a drag where the mouse was let go."""
        if self._drag_pos is not None:
            self.select(self._anchor, self._pos_at(event.position().toPoint()))
        self._drag_pos = None
        self._autoscroll.stop()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        """Select the word under the mouse."""
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self._last_double_click = event.timestamp()
        self.select(*word_at(self._source, self._pos_at(event.position().toPoint())))

    def on_autoscroll(self) -> None:
        """Scroll towards the mouse while a drag is outside the view."""
        if self._drag_pos is None:
            self._autoscroll.stop()
            return
        vbar = self.verticalScrollBar()
        y = self._drag_pos.y()
        step = max(1, abs(y - (0 if y < 0 else self.viewport().height())) // self._geometry.lh)
        vbar.setValue(vbar.value() + (step if y > 0 else -step))
        self.select(self._anchor, self._pos_at(self._drag_pos))

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        """Offer Copy and Select All."""
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        copy = menu.addAction("Copy", self.copy)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setEnabled(self.selection() is not None)
        menu.addAction("Select All", self.select_all).setShortcut(_S.SelectAll)
        menu.popup(event.globalPos())
