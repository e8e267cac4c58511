"""The virtualized text viewer: rows, scrolling, keys, mouse selection, copy, find, zoom, theme."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.helpers.qtwidgets import shown
from workbench.ui.bodyprep import ROW_COLS
from workbench.ui.textwork import index_rows, reindent_json
from workbench.ui.widgets.textviewer import TextViewer
from workbench.ui.widgets.viewerpalette import ViewerColors, contrast

PRETTY = reindent_json(
    json.dumps({"items": [{"id": n, "name": f"Item {n}"} for n in range(200)]}).encode()
)


@pytest.fixture
def viewer(qtbot: QtBot) -> TextViewer:
    return shown(qtbot, TextViewer(), 600, 300)


def _show(viewer: TextViewer, data: bytes, highlight: bool = False) -> None:
    starts, widest = index_rows(data, ROW_COLS)
    viewer.set_text(data, starts, widest, highlight_json=highlight)


def _point(viewer: TextViewer, row: int, col: int) -> QPoint:
    """The viewport point of (row, col) while the view is scrolled to the top left."""
    geometry = viewer._geometry
    return QPoint(round(geometry.margin + col * geometry.cw), row * geometry.lh + geometry.lh // 2)


def test_shows_text_and_says_how_many_rows(viewer: TextViewer) -> None:
    _show(viewer, PRETTY, highlight=True)
    assert viewer.toPlainText() == PRETTY.decode()
    assert viewer.row_count() == PRETTY.count(b"\n") + 1
    assert viewer.accessibleName() == "Response body"
    viewer.grab()  # paints with highlighting without a warning
    viewer.clear()
    assert (viewer.row_count(), viewer.toPlainText()) == (0, "")


def test_hex_rows_are_made_while_painting(viewer: TextViewer) -> None:
    data = bytes(range(256)) * 3
    viewer.set_hex(data)
    assert viewer.is_hex()
    assert viewer.row_count() == 48
    lines = viewer.toPlainText().split("\n")
    assert lines[1].startswith("00000010  10 11 12")
    assert lines[2].endswith("| !\"#$%&'()*+,-./|")
    viewer.grab()


def test_keys_move_the_caret_and_extend_the_selection(viewer: TextViewer, qtbot: QtBot) -> None:
    _show(viewer, b"first line\nsecond\nthird")
    viewer.setFocus()
    qtbot.keyClick(viewer, Qt.Key.Key_Down)
    qtbot.keyClick(viewer, Qt.Key.Key_End, Qt.KeyboardModifier.ShiftModifier)
    assert viewer.selected_text() == "second"
    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    assert viewer.selection() is None
    assert viewer.caret() == (2, 0)
    qtbot.keyClick(viewer, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    assert viewer.caret() == (0, 0)
    qtbot.keyClick(
        viewer,
        Qt.Key.Key_End,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert viewer.selected_text() == "first line\nsecond\nthird"


def test_page_keys_scroll_a_page(viewer: TextViewer, qtbot: QtBot) -> None:
    _show(viewer, PRETTY)
    viewer.setFocus()
    page = viewer.verticalScrollBar().pageStep()
    qtbot.keyClick(viewer, Qt.Key.Key_PageDown)
    qtbot.keyClick(viewer, Qt.Key.Key_PageDown)
    assert viewer.caret()[0] == 2 * page
    assert viewer.verticalScrollBar().value() > 0
    qtbot.keyClick(viewer, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert viewer.caret()[0] == viewer.row_count() - 1
    assert viewer.verticalScrollBar().value() == viewer.verticalScrollBar().maximum()


def test_select_all_and_copy_put_the_text_on_the_clipboard(
    viewer: TextViewer, qtbot: QtBot
) -> None:
    _show(viewer, "añb\ncé\n".encode())
    viewer.setFocus()
    QGuiApplication.clipboard().clear()
    assert not viewer.copy()  # nothing selected
    qtbot.keyClick(viewer, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(viewer, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "añb\ncé"


def test_mouse_drag_shift_click_and_double_click_select(viewer: TextViewer, qtbot: QtBot) -> None:
    _show(viewer, b"alpha beta gamma\ndelta epsilon")
    port = viewer.viewport()
    qtbot.mousePress(port, Qt.MouseButton.LeftButton, pos=_point(viewer, 0, 6))
    qtbot.mouseMove(port, _point(viewer, 1, 5))
    qtbot.mouseRelease(port, Qt.MouseButton.LeftButton, pos=_point(viewer, 1, 5))
    assert viewer.selected_text() == "beta gamma\ndelta"
    qtbot.mouseClick(
        port, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, _point(viewer, 1, 13)
    )
    assert viewer.selected_text() == "beta gamma\ndelta epsilon"
    qtbot.mouseDClick(port, Qt.MouseButton.LeftButton, pos=_point(viewer, 0, 13))
    assert viewer.selected_text() == "gamma"


def test_mouse_selection_in_a_non_ascii_row(viewer: TextViewer, qtbot: QtBot) -> None:
    _show(viewer, "日本語 text".encode())
    port = viewer.viewport()
    geometry = viewer._geometry
    x = round(geometry.margin + geometry.metrics.horizontalAdvance("日本語 t"))
    qtbot.mousePress(port, Qt.MouseButton.LeftButton, pos=QPoint(geometry.margin, 5))
    qtbot.mouseRelease(port, Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert viewer.selected_text() == "日本語 t"


def test_find_counts_steps_and_wraps(viewer: TextViewer, qtbot: QtBot) -> None:
    _show(viewer, PRETTY)
    seen: list[tuple[int, int]] = []
    viewer.matches_changed.connect(lambda current, total: seen.append((current, total)))
    assert viewer.find("item 19")  # "Item 19" and "Item 190".."Item 199"
    assert (viewer.current_match(), viewer.match_count()) == (1, 11)
    assert viewer.selected_text() == "Item 19"
    assert not viewer.find("item 19", case_sensitive=True)
    assert seen[-1] == (0, 0)
    assert viewer.find("Item 19", case_sensitive=True)
    for _ in range(10):
        viewer.find("Item 19", case_sensitive=True)
    assert viewer.current_match() == 11
    assert viewer.verticalScrollBar().value() > 0, "the match was scrolled into view"
    viewer.find("Item 19", case_sensitive=True)
    assert viewer.current_match() == 1, "wrapped around"
    viewer.find("Item 19", case_sensitive=True, forward=False)
    assert viewer.current_match() == 11
    viewer.grab()  # paints the highlights
    viewer.clear_find()
    assert viewer.match_count() == 0


def test_find_in_hex_matches_bytes(viewer: TextViewer) -> None:
    viewer.set_hex(b"\x00\x01PNG data PNG")
    assert viewer.find("png")
    assert viewer.match_count() == 2
    assert viewer.caret() == (0, 16)  # the hex pair of byte 2
    viewer.grab()


def test_a_single_long_line_is_laid_out_in_rows(viewer: TextViewer, qtbot: QtBot) -> None:
    data = b'{"blob":"' + b"QUJD" * 500_000 + b'"}'
    _show(viewer, data, highlight=True)
    assert viewer.row_count() == -(-len(data) // ROW_COLS)
    viewer.verticalScrollBar().setValue(viewer.row_count() // 2)
    image = viewer.grab().toImage()
    assert not image.isNull()
    viewer.setFocus()
    qtbot.keyClick(viewer, Qt.Key.Key_End)
    assert viewer.horizontalScrollBar().value() > 0, "End scrolled the row's end into view"


def test_zoom_follows_the_application_font(viewer: TextViewer, qtbot: QtBot) -> None:
    _show(viewer, PRETTY)
    original = QApplication.font()
    before = viewer._geometry.lh
    try:
        bigger = QFont(original)
        bigger.setPointSizeF(original.pointSizeF() * 2)
        QApplication.setFont(bigger)  # posts ApplicationFontChange to every widget
        qtbot.waitUntil(lambda: viewer.font().pointSizeF() == bigger.pointSizeF())
        geometry = viewer._geometry
        assert geometry.lh > before * 1.5
        assert geometry.cw == geometry.metrics.horizontalAdvance("i"), "still monospace"
    finally:
        QApplication.setFont(original)
    qtbot.waitUntil(lambda: viewer._geometry.lh == before)


def _dark_palette() -> QPalette:
    palette = QPalette()
    for role, color in (
        (QPalette.ColorRole.Base, "#1e1e1e"),
        (QPalette.ColorRole.Text, "#d4d4d4"),
        (QPalette.ColorRole.Window, "#252526"),
        (QPalette.ColorRole.WindowText, "#d4d4d4"),
        (QPalette.ColorRole.Highlight, "#264f78"),
        (QPalette.ColorRole.HighlightedText, "#ffffff"),
    ):
        palette.setColor(role, QColor(color))
    return palette


def _light_palette() -> QPalette:
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#000000"))
    return palette


@pytest.mark.parametrize("palette", [_light_palette, _dark_palette])
def test_colours_read_well_on_light_and_dark_themes(palette: type[QPalette]) -> None:
    colors = ViewerColors.from_palette(palette())
    for kind, color in colors.syntax.items():
        assert contrast(color, colors.base) >= 4.5, kind
    for background in (colors.match, colors.current):
        assert contrast(colors.text, background) >= 4.5


def test_palette_change_recolours(viewer: TextViewer) -> None:
    viewer.setPalette(_dark_palette())
    assert viewer._painter.colors.base == QColor("#1e1e1e")
    assert viewer._painter.colors.syntax["key"] == QColor("#9cdcfe")
