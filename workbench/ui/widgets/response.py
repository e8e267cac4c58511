"""The response: status and its origin, body, headers, the request as sent, and timings."""

from __future__ import annotations

import http
import json

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.core.draft import Row
from workbench.core.errors import ProxyError
from workbench.core.exchange import ProxyResult
from workbench.ui import theme
from workbench.ui.models.rows import RowsModel
from workbench.ui.widgets.bodyview import BodyView
from workbench.ui.widgets.waterfall import TimingView, format_ms

_RATE_LIMIT_PREFIXES = ("x-ratelimit-", "ratelimit", "x-rate-limit-")


def size_text(size: int) -> str:
    """``512 B``, ``2.1 KB``, ``20.0 MB``."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def reason(status: int) -> str:
    """The standard reason phrase of ``status`` ("" when there is none)."""
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def rate_limit_headers(headers: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """The upstream's rate-limit headers (``X-RateLimit-*``, ``RateLimit-*``, ``Retry-After``)."""
    return [
        (name, value)
        for name, value in headers
        if name.lower().startswith(_RATE_LIMIT_PREFIXES) or name.lower() == "retry-after"
    ]


def _headers_table(model: RowsModel, name: str, accessible: str, parent: QWidget) -> QTableView:
    view = QTableView(parent)
    view.setObjectName(name)
    view.setAccessibleName(accessible)
    view.setModel(model)
    view.setColumnHidden(0, True)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    return view


class ResponsePanel(QWidget):
    """What came back, and from whom: the upstream, or the engine itself (with its code)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """An empty panel."""
        super().__init__(parent)
        self._status_role = "muted"
        self.status = QLabel("No response yet", self)
        self.status.setObjectName("responseStatus")
        self.status.setAccessibleName("Response status")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.status.font()
        font.setBold(True)
        self.status.setFont(font)
        self.elapsed = QLabel(self)
        self.elapsed.setObjectName("responseTime")
        self.size_label = QLabel(self)
        self.size_label.setObjectName("responseSize")
        self.rate_limit = QLabel(self)
        self.rate_limit.setObjectName("upstreamRateLimit")
        self.rate_limit.setWordWrap(True)
        self.rate_limit.hide()
        self.body = BodyView(self)
        self.headers = RowsModel(kind="header", editable=False, parent=self)
        self.headers_view = _headers_table(
            self.headers, "responseHeaders", "Response headers", self
        )
        self.sent = QPlainTextEdit(self)
        self.sent.setObjectName("requestAsSent")
        self.sent.setAccessibleName("The request as sent upstream")
        self.sent.setReadOnly(True)
        self.sent.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.sent.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.timing = TimingView(self)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("responseTabs")
        self.tabs.addTab(self.body, "Body")
        self.tabs.addTab(self.headers_view, "Headers")
        self.tabs.addTab(self.sent, "Request as sent")
        timing_box = QGroupBox("Timing", self)
        timing_layout = QVBoxLayout(timing_box)
        timing_layout.addWidget(self.timing)
        timing_layout.addStretch(1)
        # The waterfall sits beside the body, so one look shows what came back and how fast.
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("responseSplitter")
        self.splitter.addWidget(self.tabs)
        self.splitter.addWidget(timing_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)

        line = QHBoxLayout()
        line.addWidget(self.status, 1)
        line.addWidget(self.elapsed)
        line.addWidget(self.size_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(line)
        layout.addWidget(self.rate_limit)
        layout.addWidget(self.splitter, 1)

    def show_sending(self, method: str, url: str) -> None:
        """A request left: clear the last answer."""
        self._set_status(f"Sending {method} {url}…", "muted")
        self.elapsed.clear()
        self.size_label.clear()
        self.rate_limit.hide()
        self.body.clear()
        self.headers.set_rows([])
        self.sent.clear()
        self.timing.set_timings(None)

    def show_received(self, received: int, total: int | None) -> None:
        """Part of the body has arrived."""
        of = f" of {size_text(total)}" if total else ""
        self.size_label.setText(f"{size_text(received)}{of}")
        self.body.set_receiving(received, total)

    def show_result(self, result: ProxyResult) -> None:
        """The upstream answered (any status)."""
        role = (
            "ok"
            if result.status < 300
            else "redirect"
            if result.status < 400
            else "client_error"
            if result.status < 500
            else "server_error"
        )
        self._set_status(f"{result.status} {reason(result.status)} · upstream", role)
        self.status.setToolTip("The upstream API answered with this status.")
        self.elapsed.setText(format_ms(result.timings.total_ms))
        self.size_label.setText(size_text(len(result.body)))
        self.headers.set_rows([Row(name, value) for name, value in result.headers])
        limits = rate_limit_headers(result.headers)
        self.rate_limit.setText(
            "Upstream rate limit: " + " · ".join(f"{n}: {v}" for n, v in limits)
        )
        self.rate_limit.setVisible(bool(limits))
        self.sent.setPlainText(
            "\n".join(
                [f"{result.method} {result.url}"]
                + [f"{name}: {value}" for name, value in result.request_headers]
            )
        )
        self.timing.set_timings(result.timings)
        self.body.show_body(result.body, result.header("content-type"))

    def show_refusal(self, error: ProxyError, method: str, url: str) -> None:
        """The engine refused or failed the request itself (nothing came from upstream)."""
        self._set_status(f"{error.status} {error.code} · engine", "engine")
        self.status.setToolTip(
            "The workbench's proxy engine answered, not the upstream: " + error.message
        )
        self.elapsed.clear()
        self.size_label.clear()
        self.rate_limit.hide()
        retry = (
            [Row("Retry-After", str(round(error.retry_after)))]
            if error.retry_after is not None
            else []
        )
        self.headers.set_rows([Row("x-workbench-error", error.code), *retry])
        if error.status >= 500:  # it went out, and the upstream failed or was too slow
            what, empty = "no answer from upstream", "The upstream did not answer in full."
        else:  # refused before any byte was sent
            what, empty = "not sent upstream", "The engine refused it before sending."
        self.sent.setPlainText(f"{method} {url}\n\n({what}: {error.message})")
        self.timing.set_timings(None, empty=empty)
        document = json.dumps(error.to_dict(), indent=2).encode()
        self.body.show_body(document, "application/json")

    def show_cancelled(self) -> None:
        """The person cancelled the request."""
        self._set_status("Cancelled", "muted")
        self.body.clear()

    def _set_status(self, text: str, role: str) -> None:
        """Show ``text`` in the theme's colour named ``role`` (a field of ``theme.Colors``)."""
        self.status.setText(text)
        self._status_role = role
        self.restyle()

    def restyle(self) -> None:
        """Apply the current theme's colours (after a theme switch)."""
        color = getattr(theme.colors(), self._status_role)
        self.status.setStyleSheet(f"color: {color.name()};")
