"""The request body editor: none, JSON (syntax-checked), raw text, form fields, or a file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.core.draft import BODY_MODES, BodyMode, Row, content_type, form_body, json_error
from workbench.ui import theme
from workbench.ui.models.rows import RowsModel
from workbench.ui.widgets.rowtable import RowTable

_LABELS = {"none": "No body", "json": "JSON", "text": "Text", "form": "Form", "file": "File"}
# Checking JSON is json.loads on the UI thread: fine for what people type or paste into a
# request, and skipped past this size (the body is still sent).
_CHECK_LIMIT = 512 * 1024


class RequestBodyEditor(QWidget):
    """Choose the body's form and edit it.

    Typing into the text editor while "No body" is chosen switches to JSON (when the
    text starts like JSON) or Text, so nothing typed is silently left out.

    Signals:
        body_changed(): the body or its form changed.
    """

    body_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        """An editor with no body."""
        super().__init__(parent)
        self.mode_picker = QComboBox(self)
        self.mode_picker.setObjectName("bodyMode")
        self.mode_picker.setAccessibleName("Body form")
        for mode in BODY_MODES:
            self.mode_picker.addItem(_LABELS[mode], mode)
        self.editor = QPlainTextEdit(self)
        self.editor.setObjectName("bodyEditor")
        self.editor.setAccessibleName("Request body")
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setTabChangesFocus(True)
        self.editor.setPlaceholderText('{"name": "value"}')
        self.syntax = QLabel(self)
        self.syntax.setObjectName("bodySyntax")
        self.syntax.setWordWrap(True)
        self.form = RowsModel(kind="field", parent=self)
        self.form_table = RowTable(self.form, "bodyForm", "Form fields", self)
        self.file_button = QPushButton("Choose file…", self)
        self.file_button.setObjectName("bodyFileButton")
        self.file_label = QLabel("No file chosen", self)
        self.file_label.setObjectName("bodyFileLabel")
        self._file: Path | None = None

        none_page = QLabel("This request sends no body.", self)
        text_page = QWidget(self)
        text_layout = QVBoxLayout(text_page)
        text_layout.setContentsMargins(0, 0, 0, 0)
        text_layout.addWidget(self.editor, 1)
        text_layout.addWidget(self.syntax)
        file_page = QWidget(self)
        file_layout = QHBoxLayout(file_page)
        file_layout.addWidget(self.file_button)
        file_layout.addWidget(self.file_label, 1)
        self.pages = QStackedWidget(self)
        for page in (none_page, text_page, self.form_table, file_page):
            self.pages.addWidget(page)
        self._page_of = {"none": 0, "json": 1, "text": 1, "form": 2, "file": 3}

        top = QHBoxLayout()
        top.addWidget(QLabel("Body:", self))
        top.addWidget(self.mode_picker)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.pages, 1)

        self.mode_picker.currentIndexChanged.connect(self._on_mode)
        self.editor.textChanged.connect(self._on_text)
        self.form.rows_edited.connect(self.body_changed)
        self.file_button.clicked.connect(self._choose_file)
        self._on_mode()

    @property
    def mode(self) -> BodyMode:
        """The body's form."""
        mode = self.mode_picker.currentData()
        return mode if mode in BODY_MODES else "none"

    def set_mode(self, mode: BodyMode) -> None:
        """Choose the body's form."""
        self.mode_picker.setCurrentIndex(BODY_MODES.index(mode))

    @property
    def file(self) -> Path | None:
        """The file to send in File mode."""
        return self._file

    def set_file(self, path: Path | None) -> None:
        """Send ``path`` in File mode (its bytes are read when the request is sent)."""
        self._file = path
        self.file_label.setText(str(path) if path else "No file chosen")
        self.body_changed.emit()

    def content_type(self) -> str | None:
        """The Content-Type the body goes with (None for no body)."""
        return content_type(self.mode)

    def text_body(self) -> bytes | None:
        """The body when it is typed (JSON, text or form); None for no body or a file."""
        mode = self.mode
        if mode in ("json", "text"):
            return self.editor.toPlainText().encode("utf-8")
        if mode == "form":
            return form_body(self.form.rows())
        return None

    def form_rows(self) -> list[Row]:
        """The form fields."""
        return self.form.rows()

    def _on_mode(self) -> None:
        self.pages.setCurrentIndex(self._page_of[self.mode])
        self._check()
        self.body_changed.emit()

    def _on_text(self) -> None:
        text = self.editor.toPlainText()
        if self.mode == "none" and text.strip():
            self.set_mode("json" if text.lstrip().startswith(("{", "[")) else "text")
        self._check()
        self.body_changed.emit()

    def _check(self) -> None:
        text = self.editor.toPlainText()
        problem = None
        if self.mode == "json" and text.strip() and len(text) <= _CHECK_LIMIT:
            problem = json_error(text)
        if problem is None:
            self.syntax.clear()
            self.syntax.hide()
            return
        self.syntax.setText(f"Not valid JSON, {problem} (it is sent as written)")
        self.syntax.setStyleSheet(f"color: {theme.colors().warning.name()}")
        self.syntax.show()

    def _choose_file(self) -> None:
        dialog = QFileDialog(self, "Send a file as the body")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda name: self.set_file(Path(name)))
        dialog.open()
