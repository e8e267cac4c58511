"""Connect an account: a form generated from the app's catalog entry.

Custom fields are checked as they are typed with the core's own check
(:func:`workbench.core.store.account_input.check_custom_field`), credentials are masked,
"Verify" sends the app's verification call with the typed values (nothing stored), and
"Save" stores the account through ``Connections`` (secrets to the vault only). An OAuth
app is signed in through the system browser instead (:class:`OAuthPanel`), unless the
person chooses to paste a token; the fields its token response fills are then not asked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from workbench.core.accounts import Account
from workbench.core.catalog import App, FieldSpec
from workbench.core.errors import RuleError
from workbench.core.store.account_input import check_custom_field, check_secret
from workbench.ui import theme
from workbench.ui.backend import OAuthClientInfo, PendingSignIn, Verified
from workbench.ui.dialogs.oauthpanel import (
    SIGN_IN_TIMEOUT,
    OAuthActions,
    OAuthPanel,
    SignInInput,
)
from workbench.ui.errors import describe


@dataclass(frozen=True)
class AccountInput:
    """What the form holds.

    Attributes:
        name: the account's display name.
        custom_fields: the custom fields typed (empty ones left out).
        secrets: the credentials typed (never shown, logged or stored outside the vault).
        allow_private_network: the account may reach private addresses.
    """

    name: str
    custom_fields: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict, repr=False)
    allow_private_network: bool = False


Verify = Callable[[AccountInput], Awaitable[Verified]]
Save = Callable[[AccountInput, Verified | None], Awaitable[Account]]


@dataclass(frozen=True)
class OAuthCallbacks:
    """The sign-in's work for an OAuth app, each run on the worker thread.

    Attributes:
        describe: the app's remembered client and the redirect URI to register.
        start: begins a sign-in with the form's values.
        finish: waits for the browser (at most the given seconds), stores the account.
        open_url: opens a URL in the system browser; False when none opened.
    """

    describe: Callable[[], Awaitable[OAuthClientInfo]]
    start: Callable[[AccountInput, SignInInput], Awaitable[PendingSignIn]]
    finish: Callable[[PendingSignIn, AccountInput, float], Awaitable[Account]]
    open_url: Callable[[str], bool]


class ConnectAccountDialog(QDialog):
    """The form for one app and one external user.

    Signals:
        account_saved(object): the account was stored (an ``Account``).
        verified(object): a verification ended (a ``Verified``).
    """

    account_saved = Signal(object)
    verified = Signal(object)

    def __init__(
        self,
        app: App,
        user: str,
        environment: str,
        *,
        verify: Verify,
        save: Save,
        oauth: OAuthCallbacks | None = None,
        oauth_timeout: float = SIGN_IN_TIMEOUT,
        parent: QWidget | None = None,
    ) -> None:
        """A form for ``app``'s fields; ``verify``, ``save`` and ``oauth`` work off the UI thread.

        With ``oauth`` (and an app that has an OAuth entry) the form signs in through the
        browser; ``oauth_timeout`` is how long it waits for the browser (seconds).
        """
        super().__init__(parent)
        self.setObjectName("connectAccountDialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"Connect a {app.name} account")
        self.setMinimumWidth(520)
        self.app = app
        self._verify, self._save = verify, save
        self._verified: Verified | None = None
        self._field_edits: dict[str, QLineEdit] = {}
        self._field_errors: dict[str, QLabel] = {}
        self._secret_edits: dict[str, QLineEdit] = {}
        self._rows: dict[str, QWidget] = {}  # field name -> its row's widget (to hide it)

        intro = QLabel(
            f"<b>{app.name}</b> for <b>{user}</b> in <b>{environment}</b>. "
            "Credentials go to the keychain, never to the workspace file.",
            self,
        )
        intro.setWordWrap(True)
        self.oauth_panel: OAuthPanel | None = None
        self.paste_token = QCheckBox("Paste an access token instead of signing in", self)
        self.paste_token.setObjectName("oauthPasteToken")
        self.paste_token.hide()
        if app.oauth is not None and oauth is not None:
            self.oauth_panel = self._oauth_panel(oauth, oauth_timeout)
            intro.setText(
                f"<b>{app.name}</b> for <b>{user}</b> in <b>{environment}</b>: sign in "
                "through your browser with your own OAuth client."
            )
        elif app.auth_type == "oauth":
            intro.setText(
                intro.text() + " This is an OAuth app: paste an access token obtained "
                "from its OAuth flow."
            )
        form = self._form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.name = QLineEdit(self)
        self.name.setObjectName("connectName")
        self.name.setPlaceholderText(f"{user}'s {app.name}")
        form.addRow("Account name", self.name)
        for spec in app.custom_fields:
            self._add_custom_field(form, spec)
        for spec in app.credentials:
            self._add_secret(form, spec)
        self.allow_private = QCheckBox("Allow private network addresses (self-hosted, LAN)", self)
        self.allow_private.setObjectName("connectAllowPrivate")
        self.allow_private.setToolTip(
            "Only for an app you host yourself: lets this account reach private addresses"
        )
        # The sandbox's apps live on 127.0.0.1: their accounts need the opt-in, as the
        # demo's own accounts have it.
        self.allow_private.setChecked(app.origin == "sandbox")
        form.addRow("", self.allow_private)
        if self.oauth_panel is not None:
            form.addRow("", self.paste_token)
            self.paste_token.show()
            self.paste_token.toggled.connect(self._show_mode)

        self.status = QLabel(self)
        self.status.setObjectName("connectStatus")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(self)
        self.verify_button = QPushButton("Verify", self)
        self.verify_button.setObjectName("connectVerify")
        self.verify_button.setEnabled(app.verification is not None)
        self.verify_button.setToolTip(
            "Send the app's verification call with these values (nothing is stored)"
            if app.verification
            else "This app has no verification call"
        )
        self.save_button = QPushButton("Save", self)
        self.save_button.setObjectName("connectSave")
        self.save_button.setDefault(True)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.addButton(self.verify_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        cancel.clicked.connect(self.reject)
        self.verify_button.clicked.connect(self.on_verify)
        self.save_button.clicked.connect(self.on_save)
        self.allow_private.toggled.connect(self._check)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        if self.oauth_panel is not None:
            layout.addWidget(self.oauth_panel)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self._show_mode()
        if self.oauth_panel is not None:
            self.oauth_panel.load()

    @property
    def signing_in(self) -> bool:
        """The form connects through the browser (an OAuth app, no token pasted)."""
        return self.oauth_panel is not None and not self.paste_token.isChecked()

    def _oauth_panel(self, oauth: OAuthCallbacks, timeout: float) -> OAuthPanel:
        actions = OAuthActions(
            describe=oauth.describe,
            start=lambda sign_in: oauth.start(self.values(), sign_in),
            finish=lambda pending, wait: oauth.finish(pending, self.values(), wait),
            open_url=oauth.open_url,
        )
        panel = OAuthPanel(self.app, actions, timeout=timeout, parent=self)
        panel.waiting.connect(
            lambda _url: self._set_status("Waiting for the browser…", theme.colors().muted)
        )
        panel.failed.connect(lambda message: self._set_status(message, theme.colors().error))
        panel.busy_changed.connect(lambda busy: self.paste_token.setEnabled(not busy))
        panel.signed_in.connect(self._signed_in)
        return panel

    def _signed_in(self, account: Account) -> None:
        self.account_saved.emit(account)
        self.accept()

    def _show_mode(self) -> None:
        """Sign-in mode hides the secrets, the fields the token response fills, Save/Verify."""
        signing_in = self.signing_in
        filled = {spec.name for spec in self.app.custom_fields if spec.source == "oauth"}
        for name, row in self._rows.items():
            hidden = signing_in and (name in self._secret_edits or name in filled)
            self._form.setRowVisible(row, not hidden)
        self.save_button.setVisible(not signing_in)
        self.verify_button.setVisible(not signing_in)
        if self.oauth_panel is not None:
            self.oauth_panel.setVisible(signing_in)
        self._check()

    def reject(self) -> None:
        """Close; a sign-in still waiting is cancelled (the worker closes its listener)."""
        if self.oauth_panel is not None:
            self.oauth_panel.abandon()
        super().reject()

    def _add_custom_field(self, form: QFormLayout, spec: FieldSpec) -> None:
        edit = QLineEdit(self)
        edit.setObjectName(f"field_{spec.name}")
        edit.setAccessibleName(spec.label)
        edit.setPlaceholderText(spec.example or spec.default or "")
        edit.setToolTip(spec.description)
        error = QLabel(self)
        error.setObjectName(f"fieldError_{spec.name}")
        error.setWordWrap(True)
        error.hide()
        holder = QWidget(self)
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(edit)
        column.addWidget(error)
        form.addRow(spec.label + ("" if spec.required else " (optional)"), holder)
        edit.textChanged.connect(self._check)
        self._field_edits[spec.name] = edit
        self._rows[spec.name] = holder
        self._field_errors[spec.name] = error

    def _add_secret(self, form: QFormLayout, spec: FieldSpec) -> None:
        edit = QLineEdit(self)
        edit.setObjectName(f"secret_{spec.name}")
        edit.setAccessibleName(spec.label)
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setToolTip(spec.description)
        show = QAction("Show", edit)
        show.setCheckable(True)
        show.setToolTip("Show what you typed")
        show.toggled.connect(
            lambda on, e=edit: e.setEchoMode(
                QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
            )
        )
        edit.addAction(show, QLineEdit.ActionPosition.TrailingPosition)
        form.addRow(spec.label + ("" if spec.required else " (optional)"), edit)
        edit.textChanged.connect(self._check)
        self._secret_edits[spec.name] = edit
        self._rows[spec.name] = edit

    def values(self) -> AccountInput:
        """What the form holds now."""
        signing_in = self.signing_in
        # Signing in, what the token response fills and the secrets are not the form's.
        filled = {s.name for s in self.app.custom_fields if s.source == "oauth" and signing_in}
        return AccountInput(
            name=self.name.text().strip(),
            custom_fields={
                n: e.text().strip()
                for n, e in self._field_edits.items()
                if e.text() and n not in filled
            },
            secrets={}
            if signing_in
            else {n: e.text() for n, e in self._secret_edits.items() if e.text()},
            allow_private_network=self.allow_private.isChecked(),
        )

    def problems(self) -> list[RuleError]:
        """Every field the form would refuse, each checked by the core's own rule.

        Signing in, the fields the token response fills and the secrets are not asked.
        """
        values = self.values()
        signing_in = self.signing_in
        errors: list[RuleError] = []
        for spec in self.app.custom_fields:
            if signing_in and spec.source == "oauth":
                self._show_field_error(spec.name, None)
                continue
            try:
                check_custom_field(
                    self.app,
                    spec,
                    values.custom_fields.get(spec.name, ""),
                    allow_private_network=values.allow_private_network,
                )
            except RuleError as error:
                errors.append(error)
                self._show_field_error(spec.name, error)
            else:
                self._show_field_error(spec.name, None)
        for spec in () if signing_in else self.app.credentials:
            try:
                check_secret(self.app, spec, values.secrets.get(spec.name, ""))
            except RuleError as error:
                errors.append(error)
        return errors

    def _show_field_error(self, name: str, error: RuleError | None) -> None:
        label, edit = self._field_errors[name], self._field_edits[name]
        if error is None or not edit.text():
            label.hide()
            edit.setStyleSheet("")
            return
        color = theme.colors().error.name()
        label.setText(error.message)
        label.setStyleSheet(f"color: {color}")
        label.show()
        edit.setStyleSheet(f"QLineEdit {{ border: 1px solid {color}; }}")

    def _check(self) -> None:
        self._verified = None
        problems = self.problems()
        self.save_button.setEnabled(not problems)
        self.verify_button.setEnabled(not problems and self.app.verification is not None)
        if self.oauth_panel is not None:
            self.oauth_panel.set_ready(not problems)
        if problems:
            self._set_status(f"{problems[0].message}.", theme.colors().muted)
        elif self.signing_in:
            self._set_status("Ready to sign in.", theme.colors().ok)
        else:
            self._set_status("Ready to save.", theme.colors().ok)

    def _set_status(self, text: str, color: object) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {color.name()}")  # type: ignore[attr-defined]

    @asyncSlot()
    async def on_verify(self) -> None:
        """Send the verification call with the typed values."""
        self._set_status("Verifying…", theme.colors().muted)
        self.verify_button.setEnabled(False)
        try:
            result = await self._verify(self.values())
        except Exception as error:
            self._set_status(describe(error), theme.colors().error)
            self.verified.emit(None)
            return
        finally:
            self.verify_button.setEnabled(True)
        self._verified = result
        color = theme.colors().ok if result.healthy else theme.colors().error
        verdict = "Verified" if result.healthy else "Verification failed"
        self._set_status(f"{verdict}: {result.detail}", color)
        self.verified.emit(result)

    @asyncSlot()
    async def on_save(self) -> None:
        """Store the account (with the verification's outcome, when there was one)."""
        if self.problems():
            return
        self.save_button.setEnabled(False)
        self._set_status("Saving…", theme.colors().muted)
        try:
            account = await self._save(self.values(), self._verified)
        except Exception as error:
            self._set_status(describe(error), theme.colors().error)
            self.save_button.setEnabled(True)
            return
        self.account_saved.emit(account)
        self.accept()
