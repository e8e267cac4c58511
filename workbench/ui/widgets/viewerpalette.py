"""The text viewer's colours, taken from the widget's palette so light and dark themes both read."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette

from workbench.ui.theme import load_theme


@dataclass(frozen=True)
class ViewerColors:
    """Everything the viewer paints with.

    Attributes:
        base: the background.
        text: plain text and punctuation.
        muted: the continuation marks in the margin.
        selection: the selection's background.
        selected_text: text inside the selection.
        match: the background of a find match.
        current: the background of the current match.
        syntax: JSON token kind (``key``, ``string``, ``number``, ``literal``) to colour.
    """

    base: QColor
    text: QColor
    muted: QColor
    selection: QColor
    selected_text: QColor
    match: QColor
    current: QColor
    syntax: dict[str, QColor]

    @classmethod
    def from_palette(cls, palette: QPalette) -> ViewerColors:
        """The colours for ``palette`` (its Active group)."""
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        # The theme is told apart by the palette's Base lightness: the viewer follows the
        # palette it is given, which is the application's unless a test sets another.
        chosen = load_theme("dark" if base.lightnessF() < 0.5 else "light").syntax
        syntax = {kind: QColor(chosen[kind]) for kind in ("key", "string", "number", "literal")}
        syntax["punct"] = text
        muted = QColor(text)
        muted.setAlphaF(0.45)
        return cls(
            base=base,
            text=text,
            muted=muted,
            selection=palette.color(QPalette.ColorRole.Highlight),
            selected_text=palette.color(QPalette.ColorRole.HighlightedText),
            match=QColor(chosen["match"]),
            current=QColor(chosen["current"]),
            syntax=syntax,
        )


def contrast(first: QColor, second: QColor) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""

    def luminance(color: QColor) -> float:
        def channel(value: float) -> float:
            return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

        red, green, blue = (channel(v) for v in (color.redF(), color.greenF(), color.blueF()))
        return 0.2126 * red + 0.7152 * green + 0.0722 * blue

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)
