"""Lists behind the pickers: projects, users, accounts, each row carrying its id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from workbench.core.accounts import Account
from workbench.ui import theme
from workbench.ui.models.titles import column_title

ID_ROLE = Qt.ItemDataRole.UserRole
Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Choice:
    """One row of a picker.

    Attributes:
        id: what the row stands for (a project id, an external user id, an account id).
        columns: the texts shown, first column in the closed picker.
        tooltip: more about the row.
        warning: True to draw the row in the warning colour (an unhealthy account).
    """

    id: str
    columns: tuple[str, ...]
    tooltip: str = ""
    warning: bool = False


class ChoiceModel(QAbstractTableModel):
    """A read-only table of :class:`Choice` rows; ``ID_ROLE`` gives a row's id."""

    def __init__(self, headers: Sequence[str], parent: QObject | None = None) -> None:
        """An empty list with these column titles."""
        super().__init__(parent)
        self._headers = tuple(headers)
        self._choices: list[Choice] = []

    def set_choices(self, choices: Sequence[Choice]) -> None:
        """Replace every row."""
        self.beginResetModel()
        self._choices = list(choices)
        self.endResetModel()

    def choices(self) -> list[Choice]:
        """The rows."""
        return list(self._choices)

    def row_of(self, choice_id: str) -> int:
        """The row of ``choice_id``, or -1."""
        return next((row for row, c in enumerate(self._choices) if c.id == choice_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008  (Qt's signature)
        """How many choices."""
        return 0 if parent.isValid() else len(self._choices)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """How many columns."""
        return 0 if parent.isValid() else len(self._headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column titles."""
        return column_title(self._headers, section, orientation, role)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """A cell's text, the row's id and tooltip."""
        if not index.isValid() or not 0 <= index.row() < len(self._choices):
            return None
        choice = self._choices[index.row()]
        # An editable combo box (the user picker) reads its items' text with EditRole.
        if role in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.EditRole,
            Qt.ItemDataRole.AccessibleTextRole,
        ):
            columns = choice.columns
            return columns[index.column()] if index.column() < len(columns) else ""
        if role == ID_ROLE:
            return choice.id
        if role == Qt.ItemDataRole.ToolTipRole:
            return choice.tooltip or None
        if role == Qt.ItemDataRole.ForegroundRole and choice.warning:
            return theme.colors().warning
        return None


def health_text(account: Account) -> str:
    """An account's health in a few words."""
    if account.healthy is None:
        return "not verified"
    return "healthy" if account.healthy else "unhealthy"


def account_choice(account: Account, app_name: str) -> Choice:
    """How an account appears in the account picker: name (id), app, health."""
    label = account.name or account.app_slug
    detail = f"\n{account.health_detail}" if account.health_detail else ""
    return Choice(
        account.id,
        (f"{label} ({account.id})", app_name, health_text(account)),
        tooltip=f"{label}\n{account.id} · {app_name} · {health_text(account)}{detail}",
        warning=account.healthy is False,
    )
