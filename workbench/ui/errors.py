"""Errors in one place: one sentence for a person, and a log file for what was unexpected.

Every failure the window meets ends in :meth:`ErrorBar.report`. Known failures (the
engine's refusals, broken rules, a locked vault, an unreadable file) become one sentence
with the engine's code where there is one. Anything else is a bug: its traceback goes to
``crash.log`` in the user data directory, and the bar shows one line naming that file.
Exception *text* is never logged, because it may quote a value the person typed.
"""

from __future__ import annotations

import logging
import sqlite3
import traceback
from collections.abc import Awaitable, Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from workbench.core.errors import ProxyError, RuleError
from workbench.core.store.paths import data_dir
from workbench.ui import theme

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def crash_log_path() -> Path:
    """Where unexpected errors are written: ``crash.log`` in the user data directory."""
    return data_dir() / "crash.log"


def write_crash(error: BaseException, path: Path | None = None) -> Path:
    """Append ``error``'s type and traceback (not its message) to the crash log."""
    target = path or crash_log_path()
    frames = "".join(traceback.format_tb(error.__traceback__))
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a", encoding="utf-8") as file:
        file.write(f"--- {type(error).__module__}.{type(error).__qualname__}\n{frames}\n")
    return target


def describe(error: BaseException, *, crash_log: Path | None = None) -> str:
    """One sentence saying what went wrong (the engine's code in brackets where there is one).

    Unexpected errors are written to the crash log first; the sentence names the file.
    """
    if isinstance(error, ProxyError):
        return f"{error.message} ({error.status} {error.code})."
    if isinstance(error, RuleError):
        return f"{error.message} ({error.code})."
    # Imported on an error only: keyring and the catalog's parsers are slow to import.
    from keyring.errors import KeyringError

    from workbench.core.catalog import CatalogError
    from workbench.core.oauth.errors import OAuthFailure
    from workbench.core.store.migrations import WorkspaceError

    if isinstance(error, CatalogError | WorkspaceError | KeyringError | OAuthFailure):
        return _sentence(str(error))
    if isinstance(error, sqlite3.Error):
        return _sentence(f"The workspace database failed: {error}")
    if isinstance(error, OSError):
        where = f": {error.filename}" if error.filename else ""
        return _sentence(f"{error.strerror or type(error).__name__}{where}")
    try:
        written = write_crash(error, crash_log)
    except OSError:
        return f"Unexpected {type(error).__name__}; the crash log could not be written."
    return f"Unexpected {type(error).__name__}; details are in {written}."


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


class ErrorBar(QFrame):
    """The window's one place for errors: a dismissible strip above the workbench.

    Signals:
        reported(str): an error was shown (its sentence).
    """

    reported = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        """A hidden bar; :meth:`report` shows it."""
        super().__init__(parent)
        self.setObjectName("errorBar")
        self.setAccessibleName("Error")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._message = QLabel(self)
        self._message.setObjectName("errorMessage")
        self._message.setWordWrap(True)
        self._message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self)
        close.setObjectName("errorDismiss")
        close.setText("✕")
        close.setAccessibleName("Dismiss the error")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        layout.addWidget(self._message, 1)
        layout.addWidget(close)
        self.hide()

    @property
    def message(self) -> str:
        """The sentence shown (empty when hidden)."""
        return self._message.text() if self.isVisible() else ""

    def restyle(self) -> None:
        """Apply the current theme's colours (after a theme switch)."""
        colors = theme.colors()
        self.setStyleSheet(
            f"#errorBar {{ background: {colors.error_bg.name()}; border: 1px solid "
            f"{colors.error.name()}; border-radius: 4px; }}"
        )

    def report(self, error: BaseException | str) -> str:
        """Show ``error`` (an exception or a sentence) and return the sentence shown."""
        sentence = error if isinstance(error, str) else describe(error)
        self.restyle()
        self._message.setText(sentence)
        self.show()
        self.reported.emit(sentence)
        return sentence


def reported(method: F) -> F:
    """Report any exception of an async slot method on ``self.errors`` (an :class:`ErrorBar`).

    Cancellation is not an error: a cancelled slot ends quietly.
    """

    @wraps(method)
    async def wrapper(self: Any, *args: Any) -> Any:
        try:
            return await method(self, *args)
        except Exception as error:
            self.errors.report(error)
            return None

    return wrapper  # type: ignore[return-value]
