"""When there is no system keychain: the person chooses where secrets go, plainly told.

Memory keeps them for this session only; an encrypted file keeps them beside the
workspace, unlocked by a passphrase. Nothing is chosen behind the person's back.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from workbench.ui.backend import SecretsMode


class SecretsChoiceDialog(QDialog):
    """Ask where secrets go when the keychain cannot be used."""

    def __init__(
        self,
        reason: str,
        secrets_file: Path,
        on_choice: Callable[[SecretsMode, str | None], None],
        parent: QWidget | None = None,
    ) -> None:
        """Explain ``reason``; ``on_choice(mode, passphrase)`` runs when the person accepts."""
        super().__init__(parent)
        self.setObjectName("secretsChoiceDialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle("Where should secrets be kept?")
        self._new_file = not secrets_file.exists()
        text = QLabel(reason, self)
        text.setWordWrap(True)
        self.memory = QRadioButton("In memory, for this session only (lost when you quit)", self)
        self.memory.setObjectName("secretsMemory")
        self.file = QRadioButton(f"In an encrypted file: {secrets_file}", self)
        self.file.setObjectName("secretsFile")
        self.file.setChecked(True)
        self.passphrase = QLineEdit(self)
        self.passphrase.setObjectName("secretsPassphrase")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit(self)
        self.repeat.setObjectName("secretsPassphraseRepeat")
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.problem = QLabel(self)
        self.problem.setObjectName("secretsProblem")
        form = QFormLayout()
        form.addRow("Passphrase", self.passphrase)
        if self._new_file:
            form.addRow("Repeat it", self.repeat)
        else:
            self.repeat.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.memory)
        layout.addWidget(self.file)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self._on_accept)
        self.buttons.rejected.connect(self.reject)
        for widget in (self.memory, self.file):
            widget.toggled.connect(self._check)
        for edit in (self.passphrase, self.repeat):
            edit.textChanged.connect(self._check)
        self._on_choice = on_choice
        self._check()

    def _check(self) -> None:
        problem = ""
        if self.file.isChecked():
            if not self.passphrase.text():
                problem = "Type the passphrase that unlocks the file."
            elif self._new_file and self.passphrase.text() != self.repeat.text():
                problem = "The two passphrases differ."
        self.passphrase.setEnabled(self.file.isChecked())
        self.repeat.setEnabled(self.file.isChecked())
        self.problem.setText(problem)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(not problem)

    def _on_accept(self) -> None:
        if self.memory.isChecked():
            self._on_choice("memory", None)
        else:
            self._on_choice("file", self.passphrase.text())
        self.accept()
