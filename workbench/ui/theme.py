"""Light and dark themes (or the system's), status colours, and zoom by the application font.

The window draws with Qt's Fusion style and one of two palettes, so both themes look the
same on every platform and in offscreen screenshots. Colours that carry meaning (status,
findings, budget) come from :func:`colors`, picked per theme for contrast. Every colour of a
theme is in its file, ``resources/themes/light.json`` or ``dark.json`` (package data).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from workbench.core.settings import ZOOM_STEPS
from workbench.resources import resource

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


THEME_NAMES = ("light", "dark")
# The body viewer's JSON colours and find highlights. The themes use VS Code's light and
# dark defaults, which meet WCAG AA contrast on their backgrounds.
SYNTAX_KINDS = ("key", "string", "number", "literal", "match", "current")


class ThemeError(ValueError):
    """A theme file is missing or does not hold what a theme needs (the message says what)."""


@dataclass(frozen=True, eq=False)
class Theme:
    """One theme as its file ``resources/themes/<name>.json`` describes it.

    Attributes:
        name: ``light`` or ``dark``.
        palette: the Qt palette (active colours, and disabled text colours).
        colors: the colours that carry a meaning.
        syntax: the body viewer's colours by kind (see :data:`SYNTAX_KINDS`).
    """

    name: str
    palette: QPalette
    colors: Colors
    syntax: Mapping[str, QColor]


@functools.cache
def load_theme(name: str) -> Theme:
    """The theme ``name`` read from the package data (once; later calls share it).

    Raises:
        ThemeError: no such theme, or its file is damaged or incomplete.
    """
    if name not in THEME_NAMES:
        raise ThemeError(f"unknown theme {name!r}; choose {' or '.join(THEME_NAMES)}")
    try:
        text = resource("themes", f"{name}.json").read_text("utf-8")
    except (OSError, ValueError) as error:
        raise ThemeError(f"cannot read the theme file themes/{name}.json: {error}") from None
    return parse_theme(name, text)


def parse_theme(name: str, text: str) -> Theme:
    """The theme described by ``text``, the JSON of ``themes/<name>.json``.

    Raises:
        ThemeError: naming the file and the key that is wrong.
    """
    where = f"the theme file themes/{name}.json"
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ThemeError(f"{where} is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise ThemeError(f"{where} must hold a JSON object")
    palette = QPalette()
    for group, section in (
        (QPalette.ColorGroup.All, "palette"),  # then the disabled group's own colours
        (QPalette.ColorGroup.Disabled, "palette_disabled"),
    ):
        for role, color in _section(data, section, where).items():
            found = getattr(QPalette.ColorRole, role, None)
            if not isinstance(found, QPalette.ColorRole):
                raise ThemeError(f"{where}: {section} names {role!r}, which is not a palette role")
            palette.setColor(group, found, _color(color, f"{section}.{role}", where))
    return Theme(
        name,
        palette,
        Colors(**_colors(data, "colors", [f.name for f in fields(Colors)], where)),
        MappingProxyType(_colors(data, "syntax", SYNTAX_KINDS, where)),
    )


def _section(data: dict[str, Any], section: str, where: str) -> dict[str, Any]:
    value = data.get(section)
    if not isinstance(value, dict):
        raise ThemeError(f"{where} has no {section!r} object")
    return value


def _colors(
    data: dict[str, Any], section: str, names: Sequence[str], where: str
) -> dict[str, QColor]:
    """Exactly ``names`` from ``data[section]``, each a valid colour."""
    values = _section(data, section, where)
    missing = [name for name in names if name not in values]
    unknown = sorted(set(values) - set(names))
    if missing or unknown:
        problem = f"lacks {', '.join(missing)}" if missing else f"has unknown {', '.join(unknown)}"
        raise ThemeError(f"{where}: {section} {problem}")
    return {name: _color(values[name], f"{section}.{name}", where) for name in names}


def _color(value: object, key: str, where: str) -> QColor:
    color = QColor(value) if isinstance(value, str) else QColor()
    if not color.isValid():
        raise ThemeError(f'{where}: {key} is {value!r}, not a colour such as "#1f2328"')
    return color


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
    app.setPalette(load_theme("dark" if dark else "light").palette)
    app.setProperty("workbench_dark", dark)
    return dark


def colors(app: QApplication | None = None) -> Colors:
    """The meaningful colours of the theme in use."""
    instance = app or QApplication.instance()
    dark = instance is not None and bool(instance.property("workbench_dark"))
    return load_theme("dark" if dark else "light").colors


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
