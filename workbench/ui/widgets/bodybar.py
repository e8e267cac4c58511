"""The body view's controls: the mode buttons, status line, Copy and Save; the gate panel."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QWidget,
)

from workbench.ui.bodyprep import PREVIEW_BYTES, human_size

_LABELS = {"pretty": "Pretty", "raw": "Raw", "hex": "Hex", "preview": "Preview"}


def _push(parent: QWidget, text: str, name: str, tip: str) -> QPushButton:
    button = QPushButton(text, parent)
    button.setObjectName(name)
    button.setToolTip(tip)
    button.setAccessibleName(tip)
    return button


class BodyBar(QWidget):
    """Mode buttons (``bodyModePretty``...), the status (``bodyStatus``), Copy and Save.

    Signals:
        mode_chosen(str): a mode button was clicked.
        copy_clicked(): Copy was clicked.
        save_clicked(): Save was clicked.
    """

    mode_chosen = Signal(str)
    copy_clicked = Signal()
    save_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._group = QButtonGroup(self)
        self.buttons: dict[str, QToolButton] = {}
        for mode, label in _LABELS.items():
            button = QToolButton(self)
            button.setText(label)
            button.setObjectName(f"bodyMode{label}")
            button.setAccessibleName(f"{label} view")
            button.setCheckable(True)
            button.clicked.connect(lambda _checked=False, mode=mode: self.mode_chosen.emit(mode))
            self._group.addButton(button)
            self.buttons[mode] = button
            layout.addWidget(button)
        layout.addSpacing(8)
        self.status = QLabel(self)
        self.status.setObjectName("bodyStatus")
        self.status.setAccessibleName("Body status")
        layout.addWidget(self.status, 1)
        self.copy = _push(self, "Copy", "bodyCopyButton", "Copy the body to the clipboard")
        self.copy.clicked.connect(self.copy_clicked)
        self.save = _push(self, "Save\u2026", "bodySaveButton", "Save the body to a file")
        self.save.clicked.connect(self.save_clicked)
        layout.addWidget(self.copy)
        layout.addWidget(self.save)

    def offer(self, modes: tuple[str, ...]) -> None:
        """Show the buttons of ``modes`` (none when there is no choice)."""
        for mode, button in self.buttons.items():
            button.setVisible(mode in modes and len(modes) > 1)
        self.copy.setEnabled(bool(modes))
        self.save.setEnabled(bool(modes))

    def check(self, mode: str) -> None:
        """Mark ``mode`` as the one shown."""
        self.buttons[mode].setChecked(True)


class BodyGate(QFrame):
    """The panel over a gated body (``bodyGate``): what is shown, "Show all", "Save".

    Signals:
        show_all_clicked(): "Show all" (``bodyShowAllButton``) was clicked.
        save_clicked(): its Save (``bodyGateSaveButton``) was clicked.
    """

    show_all_clicked = Signal()
    save_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("bodyGate")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._text = QLabel(self)
        self._text.setWordWrap(True)
        self.show_all = _push(
            self, "Show all", "bodyShowAllButton", "Format and show the whole body"
        )
        self.show_all.clicked.connect(self.show_all_clicked)
        save = _push(self, "Save\u2026", "bodyGateSaveButton", "Save the body to a file")
        save.clicked.connect(self.save_clicked)
        layout = QHBoxLayout(self)
        layout.addWidget(self._text, 1)
        layout.addWidget(self.show_all)
        layout.addWidget(save)
        self.hide()

    def show_for(self, size: int) -> None:
        """Show the panel for a body of ``size`` bytes."""
        self._text.setText(
            f"This body is {human_size(size)}. Only its first {human_size(PREVIEW_BYTES)} "
            "are shown, so the window stays responsive."
        )
        self.show()
