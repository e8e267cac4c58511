"""The response body panel: modes per kind, the gate, find bar, copy, save, images, stale jobs."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage
from PySide6.QtWidgets import QFileDialog, QLabel, QToolButton, QWidget
from pytestqt.qtbot import QtBot

from tests.helpers.qtwidgets import shown
from workbench.ui.bodyprep import GATE_BYTES, PREVIEW_BYTES, ROW_COLS, human_size
from workbench.ui.textwork import reindent_json
from workbench.ui.widgets import bodyview
from workbench.ui.widgets.bodyview import BodyView
from workbench.ui.widgets.bodyworker import BodyWorker

SMALL_JSON = b'{"name":"Ada","tags":["x","y"],"n":1.50,"ok":true,"none":null}'
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80">'
    b'<rect width="120" height="80" fill="#3366cc"/></svg>'
)


def big_json(size: int) -> bytes:
    """Minified JSON of about ``size`` bytes."""
    record = {"id": 0, "name": "record", "tags": ["alpha", "beta"], "score": 0.5}
    count = size // len(json.dumps(record, separators=(",", ":"))) + 1
    items = [{**record, "id": n} for n in range(count)]
    return json.dumps({"items": items}, separators=(",", ":")).encode()


def png(width: int = 40, height: int = 30) -> bytes:
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(QColor("#cc3366"))
    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(array.data())


@pytest.fixture
def view(qtbot: QtBot) -> BodyView:
    return shown(qtbot, BodyView(), 700, 400)


def show(qtbot: QtBot, view: BodyView, body: bytes, content_type: str | None) -> None:
    with qtbot.waitSignal(view.body_shown, timeout=20_000):
        view.show_body(body, content_type)


def child(view: BodyView, kind: type[QWidget], name: str) -> QWidget:
    found = view.findChild(kind, name)
    assert found is not None, name
    return found


def visible_modes(view: BodyView) -> list[str]:
    return [
        name
        for name in ("Pretty", "Raw", "Hex", "Preview")
        if child(view, QToolButton, f"bodyMode{name}").isVisibleTo(view)
    ]


def test_json_shows_pretty_with_raw_and_hex_offered(view: BodyView, qtbot: QtBot) -> None:
    show(qtbot, view, SMALL_JSON, "application/json; charset=utf-8")
    assert view.viewer.objectName() == "responseBody"
    assert view.mode() == "pretty"
    assert visible_modes(view) == ["Pretty", "Raw", "Hex"]
    assert view.viewer.toPlainText() == reindent_json(SMALL_JSON).decode()
    assert view.status_text() == "JSON · 62 B"
    with qtbot.waitSignal(view.body_shown):
        qtbot.mouseClick(child(view, QToolButton, "bodyModeRaw"), Qt.MouseButton.LeftButton)
    assert view.viewer.toPlainText() == SMALL_JSON.decode()
    view.set_mode("hex")
    assert view.viewer.toPlainText().startswith("00000000  7b 22 6e 61 6d 65 22 3a  22 41 64 61")
    view.set_mode("preview")  # not offered for JSON: nothing changes
    assert view.mode() == "hex"
    assert child(view, QToolButton, "bodyModeHex").isChecked()


def test_text_shows_raw_and_other_charsets_are_decoded(view: BodyView, qtbot: QtBot) -> None:
    show(qtbot, view, "Grüße\nzweite Zeile".encode("latin-1"), "text/plain; charset=ISO-8859-1")
    assert (view.kind(), view.mode()) == ("text", "raw")
    assert visible_modes(view) == ["Raw", "Hex"]
    assert view.viewer.toPlainText() == "Grüße\nzweite Zeile"


def test_binary_shows_hex_only(view: BodyView, qtbot: QtBot) -> None:
    show(qtbot, view, bytes(range(256)), "application/octet-stream")
    assert (view.kind(), view.mode()) == ("binary", "hex")
    assert visible_modes(view) == []
    assert view.viewer.row_count() == 16


def test_a_png_is_previewed_with_its_pixel_size(view: BodyView, qtbot: QtBot) -> None:
    show(qtbot, view, png(40, 30), "image/png")
    assert (view.kind(), view.mode()) == ("png", "preview")
    assert visible_modes(view) == ["Hex", "Preview"]
    preview = view.findChild(QWidget, "bodyPreview")
    assert preview is view.preview
    assert preview.isVisible()
    assert view.preview.caption() == "PNG · 40 × 30 px"
    assert view.preview.image().pixelColor(5, 5) == QColor("#cc3366")
    view.grab()
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(child(view, QWidget, "bodyCopyButton"), Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().image().size().width() == 40


def test_an_svg_is_previewed(view: BodyView, qtbot: QtBot) -> None:
    show(qtbot, view, SVG, "image/svg+xml")
    assert (view.kind(), view.mode()) == ("svg", "preview")
    assert visible_modes(view) == ["Raw", "Hex", "Preview"]
    assert view.preview.caption() == "SVG · 120 × 80 px"
    image = view.preview.image()
    assert image.pixelColor(image.width() // 2, image.height() // 2) == QColor("#3366cc")
    with qtbot.waitSignal(view.body_shown):
        view.set_mode("raw")
    assert view.viewer.toPlainText() == SVG.decode()


def test_an_image_that_does_not_decode_falls_back_to_hex(view: BodyView, qtbot: QtBot) -> None:
    body = b"GIF89a" + b"\xff" * 64
    with qtbot.waitSignal(view.body_shown, check_params_cb=lambda mode: mode == "hex"):
        view.show_body(body, "image/gif")
    assert view.mode() == "hex"
    assert "could not be decoded" in view.status_text()
    assert visible_modes(view) == []


def test_an_empty_body(view: BodyView, qtbot: QtBot) -> None:
    show(qtbot, view, b"", None)
    assert view.viewer.row_count() == 0
    assert view.viewer.toPlainText() == ""
    assert view.status_text() == "Empty body"


def test_a_big_body_is_gated_until_show_all(view: BodyView, qtbot: QtBot) -> None:
    body = big_json(GATE_BYTES + 100_000)
    show(qtbot, view, body, "application/json")
    gate = child(view, QWidget, "bodyGate")
    assert view.is_gated()
    assert gate.isVisible()
    assert child(view, QWidget, "bodyGateSaveButton").isVisible()
    assert view.status_text() == f"Showing the first 256 KiB of {human_size(len(body))}"
    pretty = reindent_json(body)
    shown = view.viewer.toPlainText().encode()
    assert pretty.startswith(shown)
    assert shown.endswith(b"\n"), "cut at a row boundary"
    assert len(shown) > PREVIEW_BYTES
    with qtbot.waitSignal(view.body_shown, timeout=30_000):
        qtbot.mouseClick(child(view, QWidget, "bodyShowAllButton"), Qt.MouseButton.LeftButton)
    assert not view.is_gated()
    assert not gate.isVisible()
    assert view.viewer.toPlainText().encode() == pretty
    assert view.status_text() == f"JSON · {human_size(len(body))}"


def test_a_long_single_line_is_shown_in_rows(view: BodyView, qtbot: QtBot) -> None:
    body = b'{"blob":"' + b"QUJD" * (GATE_BYTES // 4) + b'"}'
    show(qtbot, view, body, "application/json")
    shown = view.viewer.toPlainText().encode()
    assert reindent_json(body).startswith(shown)
    assert shown.startswith(b'{\n  "blob": "QUJD')
    assert (len(shown) - 2) % ROW_COLS == 0, "cut after the last whole row"
    assert len(shown) > PREVIEW_BYTES - ROW_COLS
    with qtbot.waitSignal(view.body_shown, timeout=30_000):
        view.show_all()
    assert view.viewer.toPlainText().encode() == reindent_json(body)
    view.viewer.verticalScrollBar().setValue(view.viewer.row_count() // 2)
    view.grab()


def test_the_start_shows_first_and_the_whole_body_keeps_the_place(
    view: BodyView, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = big_json(GATE_BYTES // 2)  # not gated, yet seconds to format on a slow machine
    release = threading.Event()
    prepare = bodyview.prepare

    def slow_prepare(source: bytes, key: tuple[str, bool], *args: object) -> object:
        if not key[1]:  # the whole body waits until the test has looked at the start
            release.wait(10)
        return prepare(source, key, *args)

    monkeypatch.setattr(bodyview, "prepare", slow_prepare)
    shown: list[str] = []
    view.body_shown.connect(shown.append)
    view.show_body(body, "application/json")
    qtbot.waitUntil(lambda: view.viewer.row_count() > 0)
    assert not shown
    assert view.status_text().startswith("Formatting…")
    start = view.viewer.toPlainText()
    view.viewer.verticalScrollBar().setValue(100)
    view.viewer.select((101, 2), (102, 4))
    with qtbot.waitSignal(view.body_shown):
        release.set()
    whole = view.viewer.toPlainText()
    assert whole == reindent_json(body).decode()
    assert whole.startswith(start)
    assert view.viewer.verticalScrollBar().value() == 100
    assert view.viewer.selection() == ((101, 2), (102, 4))


def test_progress_is_reported_while_formatting(view: BodyView, qtbot: QtBot) -> None:
    show(qtbot, view, big_json(GATE_BYTES * 2), "application/json")
    seen: list[str] = []
    status = child(view, QLabel, "bodyStatus")
    view.worker.progressed.connect(lambda channel, percent: seen.append(status.text()))
    with qtbot.waitSignal(view.body_shown, timeout=30_000):
        view.show_all()
    assert any(text.startswith("Formatting… ") and text.endswith("%") for text in seen)


def block_worker(view: BodyView) -> threading.Event:
    """Occupy the view's worker thread until the returned event is set."""
    release = threading.Event()
    view.worker.submit("test", lambda progress: release.wait(10), lambda result: None)
    return release


def test_a_stale_job_never_replaces_a_newer_body(view: BodyView, qtbot: QtBot) -> None:
    release = block_worker(view)
    big = big_json(GATE_BYTES * 2)
    view.show_body(big, "application/json")  # its preview job waits behind the blocker
    first = view.generation()
    shown: list[str] = []
    view.body_shown.connect(shown.append)
    view.show_body(SMALL_JSON, "application/json")  # small: shown at once
    assert view.generation() > first
    release.set()
    qtbot.waitUntil(lambda: view.worker.pending() == 0)
    assert shown == ["pretty"]
    assert view.viewer.toPlainText() == reindent_json(SMALL_JSON).decode()
    assert view.body() == SMALL_JSON


def test_the_worker_drops_results_of_superseded_jobs(qtbot: QtBot) -> None:
    worker = BodyWorker()
    results: list[str] = []
    release = threading.Event()
    worker.submit("a", lambda progress: release.wait(10) and "old", results.append)
    worker.supersede("a")
    release.set()
    qtbot.waitUntil(lambda: worker.pending() == 0)
    worker.submit("a", lambda progress: "new", results.append)
    qtbot.waitUntil(lambda: worker.pending() == 0)
    assert results == ["new"]
    worker.shutdown()


def test_a_failing_job_is_reported_in_one_sentence(view: BodyView, qtbot: QtBot) -> None:
    def fail(progress: Callable[[int, int], None]) -> None:
        raise MemoryError("no room")

    with qtbot.waitSignal(view.error_occurred) as blocker:
        view.worker.submit("body", fail, lambda result: None)
    assert blocker.args == ["Could not show the body: MemoryError: no room"]


def open_find(view: BodyView, qtbot: QtBot) -> QWidget:
    view.viewer.setFocus()
    qtbot.keyClick(view.viewer, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    edit = child(view, QWidget, "bodyFindEdit")
    assert edit.isVisible()
    assert edit.hasFocus()
    return edit


def test_find_bar_counts_steps_and_closes(view: BodyView, qtbot: QtBot) -> None:
    body = json.dumps([{"name": "Item"}, {"name": "item"}, {"name": "ITEM"}]).encode()
    show(qtbot, view, body, "application/json")
    edit = open_find(view, qtbot)
    count = child(view, QLabel, "bodyFindCount")
    qtbot.keyClicks(edit, "item")
    assert count.text() == "1 of 3"
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert count.text() == "2 of 3"
    qtbot.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert count.text() == "1 of 3"
    qtbot.mouseClick(child(view, QToolButton, "bodyFindCase"), Qt.MouseButton.LeftButton)
    assert count.text() == "1 of 1"
    assert view.viewer.selected_text() == "item"
    qtbot.keyClicks(edit, "x")
    assert count.text() == "No matches"
    qtbot.keyClick(edit, Qt.Key.Key_Escape)
    assert not edit.isVisible()
    assert view.viewer.match_count() == 0


def test_find_and_copy_over_a_big_body_run_on_the_worker(view: BodyView, qtbot: QtBot) -> None:
    body = big_json(GATE_BYTES * 2)
    show(qtbot, view, body, "application/json")
    with qtbot.waitSignal(view.body_shown, timeout=30_000):
        view.show_all()
    edit = open_find(view, qtbot)
    count = child(view, QLabel, "bodyFindCount")
    seen: list[tuple[int, int]] = []
    view.viewer.matches_changed.connect(lambda current, total: seen.append((current, total)))
    edit.setText('"id": 7')
    assert seen[0] == (0, -1)
    assert count.text() == "Searching…"
    expected = view.viewer.data().count(b'"id": 7')
    qtbot.waitUntil(lambda: count.text() == f"1 of {expected:,}", timeout=30_000)
    assert view.viewer.selected_text() == '"id": 7'
    clipboard = QGuiApplication.clipboard()
    clipboard.clear()
    view.viewer.select_all()
    assert view.viewer.copy()
    assert clipboard.text() == "", "a copy this big is put together on the worker"
    qtbot.waitUntil(lambda: len(clipboard.text()) == len(view.viewer.data()), timeout=30_000)
    qtbot.mouseClick(child(view, QWidget, "bodyCopyButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.status_text().startswith("Copied "), timeout=30_000)
    assert clipboard.text() == view.viewer.toPlainText()


def test_copy_button_copies_the_body_as_shown(view: BodyView, qtbot: QtBot) -> None:
    show(qtbot, view, SMALL_JSON, "application/json")
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(child(view, QWidget, "bodyCopyButton"), Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == reindent_json(SMALL_JSON).decode()


def test_save_writes_the_exact_bytes(view: BodyView, qtbot: QtBot, tmp_path: Path) -> None:
    body = bytes(range(256)) * 100 + b"\r\n\x00"
    show(qtbot, view, body, "application/octet-stream")
    target = tmp_path / "body.bin"
    with qtbot.waitSignal(view.body_saved) as blocker:
        view.save_to(str(target))
    assert blocker.args == [str(target)]
    assert target.read_bytes() == body


def test_save_button_asks_where_without_blocking(
    view: BodyView, qtbot: QtBot, tmp_path: Path
) -> None:
    show(qtbot, view, SMALL_JSON, "application/json")
    qtbot.mouseClick(child(view, QWidget, "bodySaveButton"), Qt.MouseButton.LeftButton)
    dialog = view.findChild(QFileDialog)
    assert dialog is not None
    assert dialog.isVisible()
    target = tmp_path / "response.json"
    with qtbot.waitSignal(view.body_saved):
        dialog.selectFile(str(target))
        dialog.accept()
    assert target.read_bytes() == SMALL_JSON


def test_a_failed_save_says_so_in_one_sentence(
    view: BodyView, qtbot: QtBot, tmp_path: Path
) -> None:
    show(qtbot, view, SMALL_JSON, "application/json")
    with qtbot.waitSignal(view.error_occurred) as blocker:
        view.save_to(str(tmp_path))  # a directory
    (message,) = blocker.args
    assert message.startswith(f"Could not save the body to {tmp_path}: ")
    assert message.endswith(".")
    assert "\n" not in message


def test_receiving_replaces_the_body_with_progress(view: BodyView, qtbot: QtBot) -> None:
    show(qtbot, view, SMALL_JSON, "application/json")
    view.set_receiving(3_355_443, 20 * 1024 * 1024)
    assert view.status_text() == "Receiving… 3.2 MB of 20.0 MB"
    assert view.viewer.row_count() == 0
    view.set_receiving(4_000, None)
    assert view.status_text() == "Receiving… 4 KiB"
    view.clear()
    assert view.status_text() == ""
    assert not child(view, QWidget, "bodyCopyButton").isEnabled()


def test_closing_stops_the_worker(qtbot: QtBot) -> None:
    view = BodyView()
    qtbot.addWidget(view)
    view.close()
    ran: list[int] = []
    view.worker.submit("body", lambda progress: ran.append(1), lambda result: None)
    qtbot.wait(50)
    assert ran == []


def test_jobs_shorten_the_switch_interval_while_they_run(qtbot: QtBot) -> None:
    """The UI thread waits at most ~1 ms for the GIL while a job computes."""
    worker = BodyWorker()
    before = sys.getswitchinterval()
    seen: list[float] = []
    worker.submit("a", lambda progress: seen.append(sys.getswitchinterval()), lambda r: None)
    qtbot.waitUntil(lambda: worker.pending() == 0)
    assert seen == [pytest.approx(min(before, 0.001))]
    assert sys.getswitchinterval() == before
    worker.shutdown()
