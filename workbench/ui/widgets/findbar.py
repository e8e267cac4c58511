"""The body view's find bar: a line edit, a match counter, previous/next, match case."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget


class FindBar(QWidget):
    """Find as you type; Enter finds the next match, Shift+Enter the previous, Esc closes.

    Signals:
        find_requested(str, bool, bool): the needle, whether case matters, and whether to
            search forward.
        closed(): the bar was closed (Esc or its close button).
    """

    find_requested = Signal(str, bool, bool)
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(self)
        self.edit.setObjectName("bodyFindEdit")
        self.edit.setPlaceholderText("Find in body")
        self.edit.setAccessibleName("Find in body")
        self.edit.setClearButtonEnabled(True)
        self.edit.installEventFilter(self)
        self.count = QLabel(self)
        self.count.setObjectName("bodyFindCount")
        self.count.setAccessibleName("Matches")
        self.count.setMinimumWidth(self.fontMetrics().horizontalAdvance("1,000,000+ matches"))
        self.case = self._button("Aa", "bodyFindCase", "Match case", checkable=True)
        previous = self._button("\u2191", "bodyFindPrevious", "Previous match (Shift+Enter)")
        following = self._button("\u2193", "bodyFindNext", "Next match (Enter)")
        close = self._button("\u2715", "bodyFindClose", "Close find (Esc)")
        self.edit.textChanged.connect(self.on_text_changed)
        self.case.toggled.connect(self.on_text_changed)
        previous.clicked.connect(lambda: self.request(forward=False))
        following.clicked.connect(lambda: self.request(forward=True))
        close.clicked.connect(self.close_bar)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.count)
        for button in (self.case, previous, following, close):
            layout.addWidget(button)

    def _button(self, text: str, name: str, tip: str, checkable: bool = False) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setObjectName(name)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        button.setCheckable(checkable)
        button.setAutoRaise(True)
        return button

    def open_bar(self, text: str = "") -> None:
        """Show the bar with the edit focused (and ``text`` in it when given)."""
        self.show()
        if text:
            self.edit.setText(text)
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.edit.selectAll()

    def close_bar(self) -> None:
        """Hide the bar."""
        self.hide()
        self.closed.emit()

    def request(self, forward: bool = True) -> None:
        """Ask for the next (or previous) match of what is typed."""
        self.find_requested.emit(self.edit.text(), self.case.isChecked(), forward)

    def on_text_changed(self) -> None:
        """Find as you type."""
        self.request(forward=True)

    def show_count(self, current: int, total: int, truncated: bool = False) -> None:
        """Show ``current of total``, "Searching…", or "No matches"."""
        if total < 0:
            text = "Searching\u2026"
        elif not self.edit.text():
            text = ""
        elif not total:
            text = "No matches"
        else:
            more = "+" if truncated else ""
            text = f"{current:,} of {total:,}{more}" if current else f"{total:,}{more} matches"
        self.count.setText(text)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Enter, Shift+Enter and Esc in the edit."""
        if watched is self.edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
                self.request(forward=not shift)
                return True
            if event.key() == Qt.Key.Key_Escape:
                self.close_bar()
                return True
        return super().eventFilter(watched, event)
