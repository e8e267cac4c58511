"""The headers editor: a table with per-row switches and a bulk ``Name: value`` text, in step."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core.draft import DISABLED_PREFIX, Row, headers_to_text, text_to_headers
from workbench.ui.models.rows import RowsModel
from workbench.ui.widgets.rowtable import RowTable


class HeadersEditor(QWidget):
    """Edit request headers as a table or as text; both always hold the same rows.

    Either side can be edited, visible or not (UI automation may type into the hidden
    one): each edit rewrites the other.

    Signals:
        rows_changed(): the header rows changed.
    """

    rows_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        """An empty headers editor showing the table."""
        super().__init__(parent)
        self.model = RowsModel(kind="header", parent=self)
        self.table = RowTable(self.model, "headersTable", "Request headers", self)
        self.bulk = QPlainTextEdit(self)
        self.bulk.setObjectName("headersBulkEdit")
        self.bulk.setAccessibleName("Request headers as text")
        self.bulk.setPlaceholderText(
            f"One header per line: Name: value\n{DISABLED_PREFIX} Name: value is kept but not sent"
        )
        self.bulk.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.bulk.setTabChangesFocus(True)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.table)
        self.pages.addWidget(self.bulk)
        self.toggle = QToolButton(self)
        self.toggle.setObjectName("headersBulkToggle")
        self.toggle.setCheckable(True)
        self.toggle.setText("Bulk edit")
        self.toggle.setToolTip("Edit the headers as Name: value lines")
        hint = QLabel("Untick a row to keep it without sending it.", self)
        hint.setObjectName("headersHint")
        bar = QHBoxLayout()
        bar.addWidget(hint, 1)
        bar.addWidget(self.toggle)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.pages, 1)
        self._syncing = False
        self.model.rows_edited.connect(self._on_table_edited)
        self.bulk.textChanged.connect(self._on_bulk_edited)
        self.toggle.toggled.connect(self._on_toggle)

    def rows(self) -> list[Row]:
        """The header rows, switched-off ones included."""
        return self.model.rows()

    def set_rows(self, rows: list[Row]) -> None:
        """Replace the rows on both sides."""
        self._syncing = True
        try:
            self.model.set_rows(rows)
            self.bulk.setPlainText(headers_to_text(rows))
        finally:
            self._syncing = False
        self.rows_changed.emit()

    def _on_table_edited(self) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            self.bulk.setPlainText(headers_to_text(self.model.rows()))
        finally:
            self._syncing = False
        self.rows_changed.emit()

    def _on_bulk_edited(self) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            self.model.set_rows(text_to_headers(self.bulk.toPlainText()))
        finally:
            self._syncing = False
        self.rows_changed.emit()

    def _on_toggle(self, bulk: bool) -> None:
        self.pages.setCurrentWidget(self.bulk if bulk else self.table)
        self.toggle.setText("Table" if bulk else "Bulk edit")
        (self.bulk if bulk else self.table).setFocus()
