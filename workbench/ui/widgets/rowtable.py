"""A table view for :class:`RowsModel`: switch column, Delete removes rows, edit on typing."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView, QWidget

from workbench.ui.models.rows import ENABLED, NAME, VALUE, RowsModel


class RowTable(QTableView):
    """Shows and edits a :class:`RowsModel`; Delete (or the context menu) removes rows."""

    def __init__(self, model: RowsModel, name: str, accessible: str, parent: QWidget | None = None):
        """A table over ``model`` with ``objectName`` ``name``."""
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName(accessible)
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.setTabKeyNavigation(False)  # Tab leaves the table: the tab order stays sensible
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.horizontalHeader()
        header.setSectionResizeMode(ENABLED, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(VALUE, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(NAME, 200)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._on_menu)
        self._rows = model

    def changeEvent(self, event: QEvent) -> None:
        """Keep the row height in step with the font (zoom)."""
        if event.type() == QEvent.Type.FontChange:
            self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        super().changeEvent(event)

    def selected_rows(self) -> list[int]:
        """The rows selected (or the current row)."""
        rows = {index.row() for index in self.selectionModel().selectedRows()}
        if not rows and self.currentIndex().isValid():
            rows = {self.currentIndex().row()}
        return sorted(rows)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Delete or Backspace removes the selected rows (when not editing)."""
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and (
            self.state() != QAbstractItemView.State.EditingState
        ):
            self._rows.remove_rows(self.selected_rows())
            return
        super().keyPressEvent(event)

    def _on_menu(self, position: QPoint) -> None:
        rows = [row for row in self.selected_rows() if row < len(self._rows.rows())]
        if not rows:
            return
        menu = QMenu(self)
        remove = QAction(f"Remove {len(rows)} row{'s' if len(rows) > 1 else ''}", menu)
        remove.triggered.connect(lambda: self._rows.remove_rows(rows))
        menu.addAction(remove)
        menu.popup(self.viewport().mapToGlobal(position))
