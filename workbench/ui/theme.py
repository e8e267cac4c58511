"""Light and dark themes (or the system's), status colours, and zoom by the application font.

The window draws with Qt's Fusion style and one of two palettes, so both themes look the
same on every platform and in offscreen screenshots. Colours that carry meaning (status,
findings, budget) come from :func:`colors`, picked per theme for contrast.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from workbench.core.settings import ZOOM_STEPS

_BASE_POINT_SIZE: dict[int, float] = {}  # the application font's size before any zoom


@dataclass(frozen=True)
class Colors:
    """Colours with a meaning, for one theme."""

    ok: QColor
    redirect: QColor
    client_error: QColor
    server_error: QColor
    engine: QColor
    warning: QColor
    error: QColor
    muted: QColor
    highlight_bg: QColor
    error_bg: QColor
    banner_bg: QColor


_LIGHT = Colors(
    ok=QColor("#1a7f37"),
    redirect=QColor("#8250df"),
    client_error=QColor("#b35900"),
    server_error=QColor("#cf222e"),
    engine=QColor("#0550ae"),
    warning=QColor("#9a6700"),
    error=QColor("#cf222e"),
    muted=QColor("#57606a"),
    highlight_bg=QColor("#fff8c5"),
    error_bg=QColor("#ffebe9"),
    banner_bg=QColor("#ddf4ff"),
)
_DARK = Colors(
    ok=QColor("#3fb950"),
    redirect=QColor("#bc8cff"),
    client_error=QColor("#f0883e"),
    server_error=QColor("#ff7b72"),
    engine=QColor("#79c0ff"),
    warning=QColor("#d29922"),
    error=QColor("#ff7b72"),
    muted=QColor("#8b949e"),
    highlight_bg=QColor("#3b2e00"),
    error_bg=QColor("#3d1214"),
    banner_bg=QColor("#0c2d6b"),
)


def _palette(dark: bool) -> QPalette:
    roles = QPalette.ColorRole
    if dark:
        window, base, alt, text = "#1f2328", "#161b22", "#21262d", "#e6edf3"
        button, highlight, link, disabled = "#2d333b", "#1f6feb", "#58a6ff", "#6e7681"
        placeholder, tooltip = "#7d8590", "#30363d"
    else:
        window, base, alt, text = "#f6f8fa", "#ffffff", "#f3f5f7", "#1f2328"
        button, highlight, link, disabled = "#eef1f4", "#0969da", "#0969da", "#8c959f"
        placeholder, tooltip = "#6e7781", "#ffffe1"
    palette = QPalette()
    for role, color in (
        (roles.Window, window),
        (roles.WindowText, text),
        (roles.Base, base),
        (roles.AlternateBase, alt),
        (roles.Text, text),
        (roles.Button, button),
        (roles.ButtonText, text),
        (roles.BrightText, "#ffffff"),
        (roles.Highlight, highlight),
        (roles.HighlightedText, "#ffffff"),
        (roles.Link, link),
        (roles.PlaceholderText, placeholder),
        (roles.ToolTipBase, tooltip),
        (roles.ToolTipText, text),
    ):
        palette.setColor(role, QColor(color))
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(disabled))
    return palette


def system_prefers_dark() -> bool:
    """Whether the platform asks for a dark theme (False where it cannot say)."""
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def resolve(theme: str) -> bool:
    """True when ``theme`` (``system``, ``light`` or ``dark``) means dark now."""
    return system_prefers_dark() if theme == "system" else theme == "dark"


def apply_theme(app: QApplication, theme: str) -> bool:
    """Style ``app`` with Fusion and the palette ``theme`` means; True when dark."""
    dark = resolve(theme)
    app.setStyle("Fusion")
    app.setPalette(_palette(dark))
    app.setProperty("workbench_dark", dark)
    return dark


def colors(app: QApplication | None = None) -> Colors:
    """The meaningful colours of the theme in use."""
    instance = app or QApplication.instance()
    return _DARK if instance is not None and instance.property("workbench_dark") else _LIGHT


def apply_zoom(app: QApplication, percent: int) -> None:
    """Scale the application font to ``percent`` of its size at start (every widget follows)."""
    font = QFont(app.font())
    base = _BASE_POINT_SIZE.setdefault(id(app), font.pointSizeF())
    font.setPointSizeF(base * percent / 100)
    app.setFont(font)


def next_zoom(percent: int, step: int) -> int:
    """The zoom step after ``percent`` going ``step`` (+1 bigger, -1 smaller, 0 reset)."""
    if step == 0:
        return 100
    steps = list(ZOOM_STEPS)
    index = steps.index(percent) if percent in steps else steps.index(100)
    return steps[max(0, min(len(steps) - 1, index + step))]
