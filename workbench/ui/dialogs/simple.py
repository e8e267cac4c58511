"""Small dialogs: confirmations, one-line questions and the keyboard shortcuts list.

Each is opened with ``open()`` (never ``exec()``, which would nest an event loop inside
the async code) and answers through a callback.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QLabel,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)


def confirm(
    parent: QWidget, title: str, text: str, action: str, on_yes: Callable[[], object]
) -> QMessageBox:
    """Ask ``text``; ``on_yes`` runs when the person confirms with the ``action`` button."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=parent)
    box.setObjectName("confirmDialog")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    yes = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.finished.connect(lambda _: on_yes() if box.clickedButton() is yes else None)
    box.open()
    return box


def ask_text(
    parent: QWidget, title: str, label: str, on_text: Callable[[str], object], text: str = ""
) -> QInputDialog:
    """Ask for one line of text; ``on_text`` gets it when the person accepts (not blank)."""
    dialog = QInputDialog(parent)
    dialog.setObjectName("askDialog")
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setTextValue(text)
    dialog.textValueSelected.connect(lambda value: on_text(value) if value.strip() else None)
    dialog.open()
    return dialog


def shortcut_rows(actions: Iterable[QAction]) -> list[tuple[str, str]]:
    """``(what, keys)`` for every action that has a shortcut."""
    rows = []
    for action in actions:
        keys = ", ".join(seq.toString() for seq in action.shortcuts())
        if keys:
            rows.append((action.text().replace("&", "").rstrip("…"), keys))
    return rows


class ShortcutsDialog(QDialog):
    """Every keyboard shortcut of the window, from its actions."""

    def __init__(self, actions: Iterable[QAction], parent: QWidget | None = None) -> None:
        """List ``actions``' shortcuts."""
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle("Keyboard shortcuts")
        rows = "".join(
            f"<tr><td>{html.escape(what)}</td><td style='padding-left:24px'>"
            f"<b>{html.escape(keys)}</b></td></tr>"
            for what, keys in shortcut_rows(actions)
        )
        extra = (
            "<p>Tab moves between controls; Down in the app search moves to the list; "
            "Delete removes the selected header or parameter rows.</p>"
        )
        label = QLabel(f"<table>{rows}</table>{extra}", self)
        label.setObjectName("shortcutsList")
        label.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(buttons)
