"""The OAuth part of the connect form: your client, the scopes, the redirect URI, the sign-in.

The panel only wires and displays. Loading the remembered client, starting the sign-in
(the loopback listener) and finishing it (the browser's redirect, the token exchange,
the vault writes) are async callables that run on the worker thread; the UI thread only
awaits them. While it waits, the panel shows the authorize URL to copy (for when no
browser opened), a Cancel button, and the time limit; a failure shows the provider's
own words.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from workbench.core.accounts import Account
from workbench.core.catalog import App
from workbench.ui.backend import OAuthClientInfo, PendingSignIn

SIGN_IN_TIMEOUT = 300.0  # seconds, as the core's flow


@dataclass(frozen=True)
class SignInInput:
    """What the panel holds when the person starts a sign-in."""

    client_id: str
    client_secret: str = field(repr=False)
    scopes: list[str]


@dataclass(frozen=True)
class OAuthActions:
    """The panel's work, each run on the worker thread.

    Attributes:
        describe: the remembered client and the redirect URI.
        start: begins a sign-in (listener bound, authorize URL built).
        finish: waits for the browser (at most the given seconds) and stores the account.
        open_url: opens a URL in the system browser; False when none opened.
    """

    describe: Callable[[], Awaitable[OAuthClientInfo]]
    start: Callable[[SignInInput], Awaitable[PendingSignIn]]
    finish: Callable[[PendingSignIn, float], Awaitable[Account]]
    open_url: Callable[[str], bool]


def _copy_button(edit: QLineEdit, name: str, parent: QWidget) -> QPushButton:
    button = QPushButton("Copy", parent)
    button.setObjectName(name)
    button.setToolTip("Copy to the clipboard")
    button.clicked.connect(lambda: QGuiApplication.clipboard().setText(edit.text()))
    return button


class OAuthPanel(QWidget):
    """Client id and secret, scopes, redirect URI, and the sign-in with its waiting state.

    Signals:
        waiting(str): the sign-in waits for the browser at this authorize URL.
        signed_in(object): the account was stored (an ``Account``).
        failed(str): the sign-in ended without an account (the message shown).
        busy_changed(bool): a sign-in started or ended.
    """

    waiting = Signal(str)
    signed_in = Signal(object)
    failed = Signal(str)
    busy_changed = Signal(bool)

    def __init__(
        self,
        app: App,
        actions: OAuthActions,
        *,
        timeout: float = SIGN_IN_TIMEOUT,
        parent: QWidget | None = None,
    ) -> None:
        """The panel for ``app`` (an OAuth app); ``actions`` do the work off the UI thread."""
        super().__init__(parent)
        assert app.oauth is not None
        self.setObjectName("oauthPanel")
        self.app = app
        self._actions = actions
        self._timeout = timeout
        self._task: asyncio.Future[Account] | None = None
        self._busy = False
        self._cancelled = False  # Cancel was pressed during this sign-in
        self._abandoned = False  # the form was closed: touch no widget any more
        self._ready = True  # the rest of the form is valid
        self.info: OAuthClientInfo | None = None

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.client_id = QLineEdit(self)
        self.client_id.setObjectName("oauthClientId")
        self.client_id.setPlaceholderText(f"Your {app.name} OAuth client's id")
        self.client_id.textChanged.connect(self._update)
        form.addRow("Client ID", self.client_id)
        self.client_secret = QLineEdit(self)
        self.client_secret.setObjectName("oauthClientSecret")
        self.client_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.client_secret.setPlaceholderText("Empty for a public client (PKCE only)")
        form.addRow("Client secret", self.client_secret)
        self.scopes = QLineEdit(" ".join(app.oauth.scopes), self)
        self.scopes.setObjectName("oauthScopes")
        separator = app.oauth.scope_separator
        shown = "a space" if separator == " " else repr(separator)
        self.scopes.setToolTip(f"Separated by spaces here; sent to {app.name} joined by {shown}")
        form.addRow("Scopes", self.scopes)
        self.redirect_uri = QLineEdit(self)
        self.redirect_uri.setObjectName("oauthRedirectUri")
        self.redirect_uri.setReadOnly(True)
        self.redirect_uri.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Tab goes to the inputs
        self.redirect_uri.setPlaceholderText("…")
        redirect_row = QHBoxLayout()
        redirect_row.addWidget(self.redirect_uri, 1)
        redirect_row.addWidget(_copy_button(self.redirect_uri, "oauthCopyRedirectUri", self))
        form.addRow("Redirect URI", redirect_row)
        hint = QLabel(
            f"Register this redirect URI with {app.name} for your client. The client secret "
            "and the tokens go to the keychain, never to the workspace file.",
            self,
        )
        hint.setWordWrap(True)
        hint.setObjectName("oauthHint")
        form.addRow("", hint)

        self.waiting_box = QWidget(self)
        self.waiting_box.setObjectName("oauthWaiting")
        waiting = QVBoxLayout(self.waiting_box)
        waiting.setContentsMargins(0, 0, 0, 0)
        self.waiting_text = QLabel(self.waiting_box)
        self.waiting_text.setWordWrap(True)
        self.authorize_url = QLineEdit(self.waiting_box)
        self.authorize_url.setObjectName("oauthAuthorizeUrl")
        self.authorize_url.setReadOnly(True)
        self.authorize_url.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        url_row = QHBoxLayout()
        url_row.addWidget(self.authorize_url, 1)
        url_row.addWidget(_copy_button(self.authorize_url, "oauthCopyAuthorizeUrl", self))
        waiting.addWidget(self.waiting_text)
        waiting.addLayout(url_row)
        self.waiting_box.hide()

        self.start_button = QPushButton(f"Sign in with {app.name}", self)
        self.start_button.setObjectName("oauthStart")
        self.start_button.clicked.connect(self.on_start)
        self.cancel_button = QPushButton("Cancel sign-in", self)
        self.cancel_button.setObjectName("oauthCancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.start_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.waiting_box)
        layout.addLayout(buttons)
        self._update()

    @property
    def busy(self) -> bool:
        """A sign-in is starting, waiting or finishing."""
        return self._busy

    def set_ready(self, ready: bool) -> None:
        """Whether the rest of the form allows a sign-in now."""
        self._ready = ready
        self._update()

    def values(self) -> SignInInput:
        """What the panel holds now."""
        return SignInInput(
            client_id=self.client_id.text().strip(),
            client_secret=self.client_secret.text(),
            scopes=self.scopes.text().split(),
        )

    def _update(self) -> None:
        self.start_button.setEnabled(
            self._ready and not self._busy and bool(self.client_id.text().strip())
        )

    @asyncSlot()
    async def load(self) -> None:
        """Show the remembered client and the redirect URI (read on the worker thread)."""
        try:
            info = await self._actions.describe()
        except Exception as error:
            self.failed.emit(_describe(error))
            return
        self.info = info
        self.redirect_uri.setText(info.redirect_uri)
        if info.client_id and not self.client_id.text():
            self.client_id.setText(info.client_id)
        if info.secret_remembered:
            self.client_secret.setPlaceholderText("Remembered for this client; type to replace")
        (self.start_button if self.client_id.text() else self.client_id).setFocus()

    @asyncSlot()
    async def on_start(self) -> None:
        """Start the sign-in, open the browser, wait for it, report the outcome."""
        if self.busy:
            return
        self._cancelled = False
        self._set_busy(True)
        self.waiting_text.setText("Starting the sign-in…")
        try:
            pending = await self._actions.start(self.values())
        except Exception as error:
            if not self._abandoned:
                self._end(self._describe(error))
            return
        if self._cancelled:  # while it started: end it at once (the worker frees the port)
            with contextlib.suppress(Exception):
                await self._actions.finish(pending, 0.0)
            if not self._abandoned:
                self._end("The sign-in was cancelled.")
            return
        self.redirect_uri.setText(pending.redirect_uri)
        self.authorize_url.setText(pending.authorize_url)
        self.authorize_url.setCursorPosition(0)
        minutes = f"{self._timeout / 60:g} minutes" if self._timeout >= 60 else "a moment"
        opened = self._actions.open_url(pending.authorize_url)
        lead = (
            f"Waiting for you to sign in to {self.app.name} in your browser"
            if opened
            else "No browser opened: open this address in one and sign in"
        )
        self.waiting_text.setText(f"{lead} (this waits {minutes}, or until Cancel).")
        self.waiting_box.show()
        self.waiting.emit(pending.authorize_url)
        self._task = asyncio.ensure_future(self._actions.finish(pending, self._timeout))
        try:
            account = await self._task
        except asyncio.CancelledError:
            if not self._abandoned:
                self._end("The sign-in was cancelled.")
            return
        except Exception as error:
            if not self._abandoned:
                self._end(self._describe(error))
            return
        self._task = None
        self._set_busy(False)
        self.waiting_box.hide()
        self.signed_in.emit(account)

    def cancel(self) -> None:
        """Stop waiting for the browser (the worker closes the listener)."""
        self._cancelled = True
        if self._task is not None:
            self._task.cancel()

    def abandon(self) -> None:
        """The form is closing: end any sign-in and leave the widgets alone from now on."""
        self._abandoned = True
        self.cancel()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for edit in (self.client_id, self.client_secret, self.scopes):
            edit.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self._update()
        self.busy_changed.emit(busy)

    def _describe(self, error: BaseException) -> str:
        from workbench.core.oauth.errors import ProviderRefused

        if isinstance(error, ProviderRefused):  # the provider's own words, as they came
            return f"{self.app.name} answered: {error}."
        return _describe(error)

    def _end(self, message: str) -> None:
        self._task = None
        self._set_busy(False)
        self.waiting_box.hide()
        self.failed.emit(message)


def _describe(error: BaseException) -> str:
    from workbench.ui.errors import describe

    return describe(error)
