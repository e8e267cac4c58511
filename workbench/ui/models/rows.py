"""Editable name/value tables (params, headers, form fields) with per-row switches and findings.

The rows are :class:`workbench.core.draft.Row` values; the model adds one blank row at the
end to type a new row into, and shows the composer's findings on the rows they concern.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from workbench.core.draft import Row
from workbench.core.rules import Finding
from workbench.ui import theme
from workbench.ui.models.titles import column_title

Index = QModelIndex | QPersistentModelIndex
ENABLED, NAME, VALUE = range(3)
_TITLES = ("", "Name", "Value")
_FLAGS = Qt.ItemFlag


class RowsModel(QAbstractTableModel):
    """Rows of ``(enabled, name, value)`` a person edits, plus a blank row to add one.

    Signals:
        rows_edited(): a person changed, added or removed a row (not :meth:`set_rows`).
    """

    rows_edited = Signal()

    def __init__(
        self, *, kind: str = "header", editable: bool = True, parent: QObject | None = None
    ) -> None:
        """An empty table; ``kind`` names a row in accessible text (``header``, ``parameter``)."""
        super().__init__(parent)
        self._rows: list[Row] = []
        self._findings: dict[int, list[Finding]] = {}
        self._editable = editable
        self.kind = kind

    def rows(self) -> list[Row]:
        """The rows, without the blank row for typing."""
        return list(self._rows)

    def set_rows(self, rows: Sequence[Row]) -> None:
        """Replace every row (from code: ``rows_edited`` is not emitted)."""
        self.beginResetModel()
        self._rows = [row for row in rows if not row.is_blank]
        self._findings = {}
        self.endResetModel()

    def set_findings(self, findings: Mapping[int, list[Finding]]) -> None:
        """Show ``findings`` on the rows they concern (keys are row indexes)."""
        if dict(findings) == self._findings:
            return
        self._findings = {row: list(items) for row, items in findings.items()}
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, VALUE))

    def findings_of(self, row: int) -> list[Finding]:
        """The findings shown on ``row``."""
        return list(self._findings.get(row, ()))

    def remove_rows(self, rows: Sequence[int]) -> None:
        """Remove the given rows (the blank row is ignored) and emit ``rows_edited``."""
        doomed = sorted({row for row in rows if 0 <= row < len(self._rows)}, reverse=True)
        if not doomed:
            return
        for row in doomed:
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self.endRemoveRows()
        self._findings = {}
        self.rows_edited.emit()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008  (Qt's signature)
        """The rows plus the blank row (none for a read-only table)."""
        if parent.isValid():
            return 0
        return len(self._rows) + (1 if self._editable else 0)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Switch, name, value."""
        return 0 if parent.isValid() else len(_TITLES)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column titles."""
        return column_title(_TITLES, section, orientation, role)

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Editable cells; the switch is a check box; the blank row has no switch."""
        if not index.isValid():
            return _FLAGS.NoItemFlags
        flags = _FLAGS.ItemIsEnabled | _FLAGS.ItemIsSelectable
        if not self._editable:
            return flags
        blank = index.row() >= len(self._rows)
        if index.column() == ENABLED:
            return flags if blank else flags | _FLAGS.ItemIsUserCheckable
        return flags | _FLAGS.ItemIsEditable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """A cell's text, switch state, and the findings on its row."""
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        row, column = index.row(), index.column()
        if row >= len(self._rows):
            if role == Qt.ItemDataRole.DisplayRole and column == NAME:
                return f"Add a {self.kind}…"
            if role == Qt.ItemDataRole.ForegroundRole:
                return theme.colors().muted
            return None
        item = self._rows[row]
        findings = self._findings.get(row, [])
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if column == NAME:
                return item.name
            if column == VALUE:
                return item.value or ""
            return None
        if role == Qt.ItemDataRole.CheckStateRole and column == ENABLED and self._editable:
            return Qt.CheckState.Checked if item.enabled else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole and findings:
            return "\n".join(_describe(finding) for finding in findings)
        if role == Qt.ItemDataRole.BackgroundRole and any(
            finding.severity == "error" for finding in findings
        ):
            return theme.colors().error_bg
        if role == Qt.ItemDataRole.ForegroundRole and not item.enabled:
            return theme.colors().muted
        if role == Qt.ItemDataRole.AccessibleDescriptionRole and findings:
            return "; ".join(finding.message for finding in findings)
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """Edit a cell, switch a row, or type into the blank row to add one."""
        if not index.isValid() or not self._editable:
            return False
        row, column = index.row(), index.column()
        if row > len(self._rows):
            return False
        if row == len(self._rows):  # the blank row becomes a real one
            if column == ENABLED or role != Qt.ItemDataRole.EditRole or not str(value):
                return False
            self.beginInsertRows(QModelIndex(), row, row)
            self._rows.append(Row("", ""))
            self.endInsertRows()
        item = self._rows[row]
        if column == ENABLED and role == Qt.ItemDataRole.CheckStateRole:
            changed = replace(item, enabled=Qt.CheckState(value) == Qt.CheckState.Checked)
        elif column == NAME and role == Qt.ItemDataRole.EditRole:
            changed = replace(item, name=str(value).strip())
        elif column == VALUE and role == Qt.ItemDataRole.EditRole:
            changed = replace(item, value=str(value))
        else:
            return False
        if changed == item:
            return True
        self._rows[row] = changed
        self.dataChanged.emit(self.index(row, 0), self.index(row, VALUE))
        self.rows_edited.emit()
        return True


def _describe(finding: Finding) -> str:
    hint = f" {finding.hint}" if finding.hint else ""
    return f"{finding.message} ({finding.code}).{hint}"
