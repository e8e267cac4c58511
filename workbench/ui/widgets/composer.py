"""The request composer: method, URL, params, headers, body and timeout, validated as you type.

Validation is :func:`workbench.core.rules.diagnose`, the engine's own rules, run on every
edit (a few hundred microseconds, so no debounce is needed). Each finding is shown where
it belongs: on the URL field, on the header row, and in the list of findings. Send stays
disabled while an error stands, with the reason next to it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.core.accounts import Account
from workbench.core.draft import (
    Row,
    params_after_url_edit,
    sent_pairs,
    sent_row_indexes,
    split_url,
    url_after_params_edit,
)
from workbench.core.errors import RuleError
from workbench.core.exchange import DEFAULT_DEADLINE
from workbench.core.rules import ALLOWED_METHODS, Diagnosis, Finding, diagnose
from workbench.ui import theme
from workbench.ui.models.rows import RowsModel
from workbench.ui.widgets.headers import HeadersEditor
from workbench.ui.widgets.requestbody import RequestBodyEditor
from workbench.ui.widgets.rowtable import RowTable

if TYPE_CHECKING:  # types only: the catalog's parsers are imported by the session
    from workbench.core.catalog import App

_MARK = {"error": "✖", "warning": "▲", "info": "ℹ"}
_SHOWN_SEPARATELY = {"resolved_url"}  # the resolved URL has its own label


@dataclass(frozen=True)
class Composed:
    """What the composer would send.

    Attributes:
        method: the HTTP method.
        url: the full URL or relative path, as typed.
        headers: the enabled header rows (a Content-Type for the body added if missing).
        body: the typed body, or None (see ``file``).
        file: a file whose bytes are the body (read when sending, off the UI thread).
        timeout: seconds, at most the engine's 30.
    """

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    file: Path | None
    timeout: float


def finding_text(finding: Finding) -> str:
    """One finding as a line: mark, where, message, code and hint."""
    where = {"url": "URL", "method": "Method", "app": "App", "custom_fields": "Account"}.get(
        finding.field, "Header"
    )
    if finding.field == "headers" and finding.row is not None:
        where = f"Header row {finding.row + 1}"
    hint = f" {finding.hint}" if finding.hint else ""
    return f"{_MARK[finding.severity]} {where}: {finding.message} ({finding.code}).{hint}"


class Composer(QWidget):
    """Compose a request for the chosen app and account.

    Signals:
        send_requested(): Send was pressed (only while nothing blocks it).
        cancel_requested(): Cancel was pressed.
        busy_changed(bool): a request started (True) or ended (False).
    """

    send_requested = Signal()
    cancel_requested = Signal()
    busy_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        """An empty composer; :meth:`set_target` tells it the app and account."""
        super().__init__(parent)
        self._app: App | None = None
        self._account: Account | None = None
        self._busy = False
        self._syncing = False
        self._diagnosis = Diagnosis([], None, [], False)

        self.method = QComboBox(self)
        self.method.setObjectName("methodPicker")
        self.method.setAccessibleName("Method")
        self.method.addItems(list(ALLOWED_METHODS))
        self.url = QLineEdit(self)
        self.url.setObjectName("urlEdit")
        self.url.setAccessibleName("URL or path")
        self.url.setPlaceholderText("A full https:// URL on the app's domains, or /path")
        self.url.setClearButtonEnabled(True)
        self.timeout = QDoubleSpinBox(self)
        self.timeout.setObjectName("timeoutEdit")
        self.timeout.setAccessibleName("Timeout in seconds")
        self.timeout.setToolTip("Give up after this many seconds (the proxy allows at most 30)")
        self.timeout.setRange(0.5, DEFAULT_DEADLINE)
        self.timeout.setDecimals(1)
        self.timeout.setSuffix(" s")
        self.timeout.setValue(DEFAULT_DEADLINE)
        self.send = QPushButton("Send", self)
        self.send.setObjectName("sendButton")
        self.send.setToolTip("Send the request (Ctrl+Enter)")
        self.send.setDefault(True)
        self.cancel = QPushButton("Cancel", self)
        self.cancel.setObjectName("cancelButton")
        self.cancel.setToolTip("Cancel the request in flight (Esc)")
        self.cancel.setEnabled(False)
        self.url_finding = QLabel(self)
        self.url_finding.setObjectName("urlFinding")
        self.url_finding.setWordWrap(True)
        self.blocked = QLabel(self)
        self.blocked.setObjectName("sendBlockedReason")
        self.blocked.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.blocked.setWordWrap(True)
        self.resolved = QLabel(self)
        self.resolved.setObjectName("resolvedUrl")
        self.resolved.setAccessibleName("Resolved upstream URL")
        self.resolved.setWordWrap(True)
        self.resolved.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.findings = QLabel(self)
        self.findings.setObjectName("validationMessages")
        self.findings.setAccessibleName("Findings")
        self.findings.setWordWrap(True)
        self.findings.setTextFormat(Qt.TextFormat.PlainText)
        self.findings.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.params = RowsModel(kind="parameter", parent=self)
        self.params_table = RowTable(self.params, "paramsTable", "Query parameters", self)
        self.headers = HeadersEditor(self)
        self.body = RequestBodyEditor(self)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("composerTabs")
        self.tabs.addTab(self.params_table, "Params")
        self.tabs.addTab(self.headers, "Headers")
        self.tabs.addTab(self.body, "Body")

        line = QHBoxLayout()
        line.addWidget(self.method)
        line.addWidget(self.url, 1)
        line.addWidget(self.timeout)
        line.addWidget(self.send)
        line.addWidget(self.cancel)
        under = QHBoxLayout()
        under.addWidget(self.url_finding, 3)
        under.addWidget(self.blocked, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(line)
        layout.addLayout(under)
        layout.addWidget(self.resolved)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.findings)
        for first, second in (
            (self.method, self.url),
            (self.url, self.timeout),
            (self.timeout, self.send),
            (self.send, self.cancel),
            (self.cancel, self.tabs),
        ):
            QWidget.setTabOrder(first, second)

        self.method.currentIndexChanged.connect(self.revalidate)
        self.url.textChanged.connect(self._on_url)
        self.params.rows_edited.connect(self._on_params)
        self.headers.rows_changed.connect(self.revalidate)
        self.body.body_changed.connect(self.revalidate)
        self.send.clicked.connect(self._on_send)
        self.cancel.clicked.connect(self.cancel_requested)
        self.revalidate()

    @property
    def diagnosis(self) -> Diagnosis:
        """The findings as they stand."""
        return self._diagnosis

    @property
    def can_send(self) -> bool:
        """Whether Send is allowed now."""
        return self.send.isEnabled()

    def set_target(self, app: App | None, account: Account | None) -> None:
        """The app and account requests are composed for (``account`` may be None)."""
        self._app, self._account = app, account
        self.revalidate()

    def set_busy(self, busy: bool) -> None:
        """A request is in flight: Send waits, Cancel works."""
        self._busy = busy
        self.cancel.setEnabled(busy)
        self._update_send()
        self.busy_changed.emit(busy)

    def composed(self) -> Composed:
        """The request as the composer would send it."""
        headers = sent_pairs(self.headers.rows())
        content_type = self.body.content_type()
        if content_type and not any(name.lower() == "content-type" for name, _ in headers):
            headers.append(("Content-Type", content_type))
        return Composed(
            method=self.method.currentText(),
            url=self.url.text().strip(),
            headers=tuple(headers),
            body=self.body.text_body(),
            file=self.body.file if self.body.mode == "file" else None,
            timeout=self.timeout.value(),
        )

    def load(self, method: str, url: str, headers: list[Row]) -> None:
        """Put a request into the composer (replacing what is there)."""
        self.method.setCurrentText(method)
        self.headers.set_rows(headers)
        self.url.setText(url)

    def _on_url(self, text: str) -> None:
        if not self._syncing:
            self._syncing = True
            try:
                self.params.set_rows(params_after_url_edit(text, self.params.rows()))
            finally:
                self._syncing = False
        self.revalidate()

    def _on_params(self) -> None:
        self._syncing = True
        try:
            self.url.setText(url_after_params_edit(self.url.text(), self.params.rows()))
        finally:
            self._syncing = False
        self.revalidate()

    def _on_send(self) -> None:
        if self.can_send:
            self.send_requested.emit()

    def revalidate(self) -> None:
        """Run the rules on what is composed and show every finding where it belongs."""
        composed = self.composed()
        account = self._account
        diagnosis = diagnose(
            method=composed.method,
            url=composed.url,
            headers=composed.headers,
            app=self._app,
            custom_fields=account.custom_fields if account else None,
            allow_private_networks=bool(account and account.allow_private_network),
        )
        self._diagnosis = diagnosis
        self._show_rows(diagnosis.findings)
        self._show_url(diagnosis)
        self._show_findings(diagnosis.findings)
        self._update_send()
        self.tabs.setTabText(0, _counted("Params", len(split_url(composed.url).params)))
        self.tabs.setTabText(1, _counted("Headers", len(sent_pairs(self.headers.rows()))))

    def _show_rows(self, findings: list[Finding]) -> None:
        table_rows = sent_row_indexes(self.headers.rows())
        by_row: dict[int, list[Finding]] = defaultdict(list)
        for finding in findings:
            row = finding.row
            if finding.field == "headers" and row is not None and row < len(table_rows):
                by_row[table_rows[row]].append(finding)
        self.headers.model.set_findings(by_row)

    def _show_url(self, diagnosis: Diagnosis) -> None:
        colors = theme.colors()
        url_errors = [f for f in diagnosis.findings if f.field == "url" and f.severity == "error"]
        if url_errors and self.url.text().strip():
            first = url_errors[0]
            self.url.setStyleSheet(f"QLineEdit {{ border: 1px solid {colors.error.name()}; }}")
            self.url.setToolTip(finding_text(first))
            self.url_finding.setText(f"{first.message}. {first.hint}".strip())
            self.url_finding.setStyleSheet(f"color: {colors.error.name()}")
            self.url_finding.show()
        else:
            self.url.setStyleSheet("")
            self.url.setToolTip("")
            self.url_finding.clear()
            self.url_finding.hide()
        self.resolved.setText(self._resolved_text(diagnosis))

    def _resolved_text(self, diagnosis: Diagnosis) -> str:
        if diagnosis.resolved_url is None or self._app is None:
            return "Sends to: (the URL does not resolve yet)"
        # Imported on first use, not with the window: injection pulls in the catalog's
        # parsers, which the first paint does not need (the worker thread has imported them
        # by the time a URL can resolve, since that needs an open session's catalog).
        from workbench.core.injection import preview_injection

        custom_fields = self._account.custom_fields if self._account else {}
        try:
            preview = preview_injection(
                self._app, diagnosis.resolved_url, custom_fields=custom_fields
            )
        except RuleError:
            return f"Sends to: {diagnosis.resolved_url}"
        added = "  ·  ".join(f"{name}: {value}" for name, value in preview.headers)
        credential = f"\nThe proxy adds: {added}" if added else ""
        return f"Sends to: {preview.url}{credential}"

    def _show_findings(self, findings: list[Finding]) -> None:
        empty_url = not self.url.text().strip()  # nothing typed yet is not an error to shout
        lines = [
            finding_text(f)
            for f in findings
            if f.code not in _SHOWN_SEPARATELY and not (empty_url and f.field == "url")
        ]
        if self._account is None and self._app is not None:
            lines.append("✖ Account: choose a connected account of this app to send.")
        colors = theme.colors()
        errors = any(f.severity == "error" for f in findings) or self._account is None
        if lines:
            self.findings.setText("\n".join(lines))
            color = colors.error if errors else colors.warning
        else:
            self.findings.setText("✓ No problems found.")
            color = colors.ok
        self.findings.setStyleSheet(f"color: {color.name()}")

    def _update_send(self) -> None:
        errors = [f for f in self._diagnosis.findings if f.severity == "error"]
        reason = ""
        if self._busy:
            reason = "A request is in flight."
        elif self._app is None:
            reason = "Choose an app."
        elif self._account is None:
            reason = "Choose a connected account."
        elif not self.url.text().strip():
            reason = "Type a URL or a path."
        elif errors:
            reason = (
                errors[0].message + "."
                if len(errors) == 1
                else f"{len(errors)} problems to fix (see below)."
            )
        self.send.setEnabled(not reason)
        self.blocked.setText(f"Send is disabled: {reason}" if reason and not self._busy else "")
        self.blocked.setStyleSheet(f"color: {theme.colors().error.name()}")
        self.blocked.setVisible(bool(self.blocked.text()))


def _counted(label: str, count: int) -> str:
    return f"{label} ({count})" if count else label
