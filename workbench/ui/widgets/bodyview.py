"""The response body panel: pretty JSON, raw text, hex, image preview, find, copy, save.

The UI thread only hands bodies to the worker and puts finished results on screen:
reindenting, row layout, transcoding, image decoding, find and file writing over anything
bigger than :data:`~workbench.ui.bodyprep.SYNC_BYTES` run on the view's
:class:`BodyWorker`. Bodies over :data:`~workbench.ui.bodyprep.GATE_BYTES` are gated: their
start shows, with "Show all" and "Save" offered, as Yaak does. A big body that is not gated
shows its start within milliseconds and the rest when it is formatted.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QFileDialog, QStackedWidget, QVBoxLayout, QWidget

from workbench.ui.bodyprep import (
    COPY_LIMIT,
    GATE_BYTES,
    PREVIEW_BYTES,
    SYNC_BYTES,
    Key,
    Prepared,
    charset_of,
    file_name,
    human_size,
    kind_name,
    modes_for,
    prepare,
    to_utf8,
)
from workbench.ui.rows import HexRows
from workbench.ui.textwork import IMAGE_KINDS, Progress, sniff_kind
from workbench.ui.widgets.bodybar import BodyBar, BodyGate
from workbench.ui.widgets.bodyworker import BodyWorker
from workbench.ui.widgets.findbar import FindBar
from workbench.ui.widgets.imagepreview import DecodedImage, ImagePreview, decode_image
from workbench.ui.widgets.textviewer import TextViewer

_VERBS = {"body": "show", "early": "show", "find": "search", "copy": "copy", "save": "save"}
# The jobs a new body or mode makes stale; a save goes on whatever is shown next.
_VIEW_CHANNELS = ("body", "early", "find", "copy")


def _no_progress(done: int, total: int) -> None:
    """Work done on the UI thread reports nowhere."""


class BodyView(QWidget):
    """Shows one response body at a time, never stalling the window whatever its size.

    Signals:
        body_shown(str): a body is on screen in this mode (``pretty``, ``raw``, ``hex``,
            ``preview``); emitted again after "Show all" and mode switches.
        body_saved(str): the body was written to this path.
        error_occurred(str): one sentence for the window's error bar.
    """

    body_shown = Signal(str)
    body_saved = Signal(str)
    error_occurred = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = BodyWorker(self)
        self.worker.progressed.connect(self.on_progressed)
        self.worker.failed.connect(self.on_job_failed)
        self.bar = BodyBar(self)
        self.bar.mode_chosen.connect(self.on_mode_chosen)
        self.bar.copy_clicked.connect(self.on_copy_clicked)
        self.bar.save_clicked.connect(self.on_save_clicked)
        self.find_bar = FindBar(self)
        self.find_bar.hide()
        self.find_bar.find_requested.connect(self.on_find_requested)
        self.find_bar.closed.connect(self.on_find_closed)
        self.gate = BodyGate(self)
        self.gate.show_all_clicked.connect(self.on_show_all_clicked)
        self.gate.save_clicked.connect(self.on_save_clicked)
        self.viewer = TextViewer(self)
        self.viewer.setObjectName("responseBody")
        self.viewer.set_offload(self.worker.submit)
        self.viewer.matches_changed.connect(self.on_matches_changed)
        self.preview = ImagePreview(self)
        self.preview.setObjectName("bodyPreview")
        self._stack = QStackedWidget(self)
        self._stack.addWidget(self.viewer)
        self._stack.addWidget(self.preview)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for widget in (self.bar, self.find_bar, self.gate):
            layout.addWidget(widget)
        layout.addWidget(self._stack, 1)
        find = QShortcut(QKeySequence.StandardKey.Find, self, self.on_find_shortcut)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

        self._body = b""
        self._content_type: str | None = None
        self._kind = "text"
        self._mode = "raw"
        self._gated = False
        self._prepared: dict[Key, Prepared] = {}
        self._image: DecodedImage | None = None
        self._note = ""  # said before the status, e.g. why a preview fell back to hex
        self._offered: tuple[str, ...] = ()
        self._early = False  # the viewer shows the start of a body still being formatted
        self.clear()

    # --- public API ----------------------------------------------------------------------------

    def show_body(self, body: bytes, content_type: str | None) -> None:
        """Show a response body in the default mode for its kind.

        Args:
            body: the body as received (decoded from any Content-Encoding).
            content_type: the response's Content-Type header, if any.
        """
        self._reset(body, content_type)
        self._kind = sniff_kind(content_type, body)
        self._gated = len(body) > GATE_BYTES and self._kind not in IMAGE_KINDS
        self._offer(modes_for(self._kind))
        if self._gated:
            self.gate.show_for(len(body))
        self._display(self._offered[0])

    def clear(self) -> None:
        """Show no body."""
        self._reset(b"", None)
        self._offer(())
        self.viewer.clear()
        self.preview.clear()
        self._stack.setCurrentWidget(self.viewer)
        self.bar.status.setText("")

    def set_receiving(self, received: int, total: int | None) -> None:
        """Say how much of a response has arrived so far (replaces the body shown)."""
        if self._offered:
            self.clear()
        of = f" of {human_size(total)}" if total else ""
        self.bar.status.setText(f"Receiving\u2026 {human_size(received)}{of}")

    def body(self) -> bytes:
        """The body shown."""
        return self._body

    def kind(self) -> str:
        """What the body is: ``json``, ``text``, ``svg``, ``binary`` or an image kind."""
        return self._kind

    def mode(self) -> str:
        """The mode shown: ``pretty``, ``raw``, ``hex`` or ``preview``."""
        return self._mode

    def modes(self) -> tuple[str, ...]:
        """The modes this body offers, the default first."""
        return self._offered

    def is_gated(self) -> bool:
        """Whether only the start of a big body is shown."""
        return self._gated

    def generation(self) -> int:
        """Grows with every body, mode switch and "Show all": older results are dropped."""
        return self.worker.generation("body")

    def status_text(self) -> str:
        """The status line's text."""
        return self.bar.status.text()

    def set_mode(self, mode: str) -> None:
        """Show the body in ``mode`` if its kind offers it."""
        if mode in self._offered and mode != self._mode:
            self._display(mode)
        elif self._offered:
            self.bar.check(self._mode)

    def show_all(self) -> None:
        """Lift the gate: format and show the whole body."""
        if self._gated:
            self._gated = False
            self.gate.hide()
            self._display(self._mode)

    def show_find(self) -> None:
        """Open the find bar, seeded with the selected text when it is short."""
        if self._mode != "preview":
            selected = self.viewer.selected_text() if self.viewer.selection() else ""
            short = 0 < len(selected) < 200 and "\n" not in selected
            self.find_bar.open_bar(selected if short else "")

    def copy_body(self) -> None:
        """Copy the body as shown (the image, in Preview) to the clipboard."""
        if self._mode == "preview" and self._image is not None:
            QGuiApplication.clipboard().setImage(self._image.image)
            self.bar.status.setText("Copied the image.")
            return
        whole = self._prepared.get(("pretty", False)) if self._mode == "pretty" else None
        body, hex_dump = (whole[0] if whole else self._body), self._mode == "hex"
        if len(body) * (5 if hex_dump else 1) > COPY_LIMIT:
            self.bar.status.setText(f"Too big to copy ({human_size(len(body))}); save it.")
            return
        charset = charset_of(self._content_type)

        def work(progress: Progress) -> str:
            if hex_dump:
                return HexRows(body).plain_text()
            return to_utf8(body, charset, progress).decode("utf-8", "replace")

        def done(text: str) -> None:
            QGuiApplication.clipboard().setText(text)
            self.bar.status.setText(f"Copied {human_size(len(body))}.")

        if len(body) <= SYNC_BYTES:
            done(work(_no_progress))
        else:
            self.worker.submit("copy", work, done)

    def save_to(self, path: str) -> None:
        """Write the body's exact bytes to ``path`` on the worker.

        ``body_saved`` follows on success, ``error_occurred`` on failure.
        """
        body = self._body

        def work(progress: Progress) -> str | None:
            try:
                Path(path).write_bytes(body)
            except OSError as error:
                return f"Could not save the body to {path}: {error.strerror or error}."
            return None

        def done(error: str | None) -> None:
            if error is None:
                self.bar.status.setText(f"Saved {human_size(len(body))} to {Path(path).name}.")
                self.body_saved.emit(path)
            else:
                self.error_occurred.emit(error)

        self.worker.submit("save", work, done)

    # --- slots -----------------------------------------------------------------------------------

    def on_mode_chosen(self, mode: str) -> None:
        """A mode button was clicked."""
        self.set_mode(mode)

    def on_show_all_clicked(self) -> None:
        """The gate's "Show all" was clicked."""
        self.show_all()

    def on_copy_clicked(self) -> None:
        """Copy was clicked."""
        self.copy_body()

    def on_find_shortcut(self) -> None:
        """Ctrl+F (the platform's Find key) inside the view."""
        self.show_find()

    def on_save_clicked(self) -> None:
        """Ask where to save, without blocking (``open()``, never ``exec()``)."""
        dialog = QFileDialog(self, "Save response body")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.selectFile(file_name(self._kind))
        dialog.fileSelected.connect(self.on_save_file_selected)
        dialog.open()

    def on_save_file_selected(self, path: str) -> None:
        """The save dialog was accepted."""
        self.save_to(path)

    def on_progressed(self, channel: str, percent: int) -> None:
        """Show a body job's progress."""
        if channel == "body":
            self.bar.status.setText(f"{self._busy_word()}\u2026 {percent}%")

    def on_job_failed(self, channel: str, message: str) -> None:
        """Report a job that raised, in one sentence."""
        self.error_occurred.emit(f"Could not {_VERBS.get(channel, 'process')} the body: {message}")

    def on_find_requested(self, needle: str, case_sensitive: bool, forward: bool) -> None:
        """Search the text shown."""
        self.viewer.find(needle, case_sensitive, forward)

    def on_find_closed(self) -> None:
        """Drop the search highlights and give the text the focus back."""
        self.viewer.clear_find()
        self.viewer.setFocus()

    def on_matches_changed(self, current: int, total: int) -> None:
        """Keep the find bar's counter in step."""
        self.find_bar.show_count(current, total, self.viewer.matches_truncated())

    # --- showing ---------------------------------------------------------------------------------

    def _reset(self, body: bytes, content_type: str | None) -> None:
        self.worker.supersede(*_VIEW_CHANNELS)
        self._body = body
        self._content_type = content_type
        self._kind = "text"
        self._gated = False
        self._prepared = {}
        self._image = None
        self.gate.hide()

    def _offer(self, modes: tuple[str, ...]) -> None:
        self._offered = modes
        self.bar.offer(modes)

    def _busy_word(self) -> str:
        return {"pretty": "Formatting", "preview": "Decoding"}.get(self._mode, "Laying out")

    def _display(self, mode: str) -> None:
        """Put the body on screen in ``mode``, on the worker unless it is small."""
        self.worker.supersede(*_VIEW_CHANNELS)
        self._mode = mode
        self._note = ""
        self._early = False
        self.bar.check(mode)
        self.find_bar.setEnabled(mode != "preview")
        if mode == "preview":
            self._stack.setCurrentWidget(self.preview)
            if self._image is not None:
                self._shown()
                return
            self.preview.clear()
            self.bar.status.setText("Decoding\u2026")
            body, kind = self._body, self._kind
            self.worker.submit(
                "body", lambda progress: decode_image(body, kind), self._on_image_decoded
            )
            return
        self._stack.setCurrentWidget(self.viewer)
        source = self._body[:PREVIEW_BYTES] if self._gated else self._body
        if mode == "hex":
            self.viewer.set_hex(source)
            self._shown()
            return
        key = (mode, self._gated)
        if key in self._prepared:
            self._show_text(key, self._prepared[key])
            return
        charset = charset_of(self._content_type)
        if len(source) <= SYNC_BYTES:
            self._on_prepared(key, prepare(source, key, charset, _no_progress))
            return
        start = (mode, True)
        if self._gated or len(source) <= PREVIEW_BYTES:
            self.viewer.clear()
        elif start in self._prepared:
            self._on_prepared(start, self._prepared[start])
        else:  # the start is ready in a few ms, the whole body may take seconds
            self._submit_prepare("early", start, self._body[:PREVIEW_BYTES], charset)
        self.bar.status.setText(f"{self._busy_word()}\u2026")
        self._submit_prepare("body", key, source, charset)

    def _submit_prepare(self, channel: str, key: Key, source: bytes, charset: str | None) -> None:
        self.worker.submit(
            channel,
            lambda progress: prepare(source, key, charset, progress),
            lambda result: self._on_prepared(key, result),
        )

    def _on_prepared(self, key: Key, prepared: Prepared) -> None:
        self._prepared[key] = prepared
        if key == (self._mode, self._gated):
            self._show_text(key, prepared)
        elif key == (self._mode, True):  # the start of a body still being formatted
            self.viewer.set_text(*prepared, highlight_json=key[0] == "pretty")
            self._early = True

    def _show_text(self, key: Key, prepared: Prepared) -> None:
        # The whole text replacing its start keeps the reader's place.
        keep = self._early and not key[1]
        self.viewer.set_text(*prepared, highlight_json=key[0] == "pretty", keep_view=keep)
        self._early = False
        self._shown()

    def _on_image_decoded(self, result: DecodedImage | str) -> None:
        if isinstance(result, str):
            self._offer(tuple(mode for mode in self._offered if mode != "preview"))
            self._display("hex")
            self._note = f"{result} Showing its bytes."
            self.bar.status.setText(self._note)
            return
        self._image = result
        self.preview.set_image(result)
        self._shown()

    def _shown(self) -> None:
        size = human_size(len(self._body))
        if self._gated:
            text = f"Showing the first {human_size(PREVIEW_BYTES)} of {size}"
        elif not self._body:
            text = "Empty body"
        else:
            text = f"{kind_name(self._kind)} \u00b7 {size}"
        self.bar.status.setText(f"{self._note} {text}".strip())
        if self.find_bar.isVisible() and self.find_bar.edit.text():
            self.find_bar.request()
        self.body_shown.emit(self._mode)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop the worker."""
        self.worker.shutdown()
        super().closeEvent(event)
