"""The main window: the panels, the menus with every action and shortcut, and the chrome.

The window lays out the panels and owns what is about the window itself (title, theme,
zoom, geometry, banners); what the panels do together is the :class:`Controller`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Qt, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDesktopServices,
    QGuiApplication,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from workbench.core.accounts import Account
from workbench.core.settings import THEMES
from workbench.core.store.paths import default_workspace_path
from workbench.ui import theme
from workbench.ui.backend import SecretsChoiceNeeded, SecretsMode, Session, SessionTarget, Verified
from workbench.ui.bridge import Bridge, Tasks
from workbench.ui.controller import Controller, Parts
from workbench.ui.dialogs.simple import ShortcutsDialog, ask_text, confirm
from workbench.ui.errors import ErrorBar, reported
from workbench.ui.settings import Settings
from workbench.ui.widgets.appbrowser import AppBrowser
from workbench.ui.widgets.budget import BudgetIndicator
from workbench.ui.widgets.composer import Composer
from workbench.ui.widgets.pickers import PickerBar
from workbench.ui.widgets.response import ResponsePanel

if TYPE_CHECKING:
    from workbench.ui.backend import OAuthClientInfo, PendingSignIn
    from workbench.ui.dialogs.connect import AccountInput, ConnectAccountDialog
    from workbench.ui.dialogs.oauthpanel import SignInInput

TITLE = "Connect Proxy Workbench"


class MainWindow(QMainWindow):
    """The workbench window.

    Signals:
        closed(): the window was closed (the application then quits).
    """

    closed = Signal()

    def __init__(
        self,
        bridge: Bridge,
        settings: Settings,
        target: SessionTarget,
        *,
        first_run: bool = False,
    ) -> None:
        """Build the window for ``target``; :meth:`start` opens it.

        Args:
            bridge: runs the session's work in the worker thread.
            settings: the settings store.
            target: the demo or the workspace to open.
            first_run: no workspace exists yet (the demo shows a banner offering one).
        """
        super().__init__()
        self.setObjectName("MainWindow")
        self.settings = settings
        self.bridge = bridge
        # Opens a URL in the system browser (an OAuth sign-in); tests replace it.
        self.open_url: Callable[[str], bool] = lambda url: QDesktopServices.openUrl(QUrl(url))
        self.sign_in_timeout = 300.0  # seconds a connect form waits for the browser
        self.target = target
        self._first_run = first_run
        self.errors = ErrorBar(self)
        self.tasks = Tasks(self.errors.report)
        self.apps = AppBrowser(self)
        self.pickers = PickerBar(self)
        self.composer = Composer(self)
        self.response = ResponsePanel(self)
        self.budget = BudgetIndicator(self)
        self.controller = Controller(
            bridge,
            settings,
            Parts(self.apps, self.pickers, self.composer, self.response, self.budget, self.errors),
            self,
        )
        self._build_layout()
        self._build_status_bar()
        self.actions_by_name: dict[str, QAction] = {}
        self._build_menus()
        self._wire()
        self._restore_geometry()
        self._update_title()

    # --- building -----------------------------------------------------------------------

    def _build_layout(self) -> None:
        self.banner = QFrame(self)
        self.banner.setObjectName("demoBanner")
        banner_text = QLabel(
            "You are exploring the <b>offline demo</b>: a sandbox API on this machine and "
            "sample accounts. Nothing you do here touches a real workspace.",
            self.banner,
        )
        banner_text.setWordWrap(True)
        self.create_workspace_button = QPushButton("Create my workspace…", self.banner)
        self.create_workspace_button.setObjectName("createWorkspaceButton")
        banner_layout = QHBoxLayout(self.banner)
        banner_layout.setContentsMargins(10, 6, 6, 6)
        banner_layout.addWidget(banner_text, 1)
        banner_layout.addWidget(self.create_workspace_button)
        self.banner.setVisible(self._first_run)

        self.work_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.work_splitter.setObjectName("workSplitter")
        self.work_splitter.addWidget(self.composer)
        self.work_splitter.addWidget(self.response)
        self.work_splitter.setStretchFactor(0, 2)
        self.work_splitter.setStretchFactor(1, 3)
        self.work_splitter.setSizes([320, 540])
        work = QWidget(self)
        work_layout = QVBoxLayout(work)
        work_layout.setContentsMargins(0, 0, 0, 0)
        work_layout.addWidget(self.pickers)
        work_layout.addWidget(self.work_splitter, 1)
        self.main_splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.main_splitter.setObjectName("mainSplitter")
        self.main_splitter.addWidget(self.apps)
        self.main_splitter.addWidget(work)
        self.main_splitter.setStretchFactor(0, 1)
        self.main_splitter.setStretchFactor(1, 3)
        self.main_splitter.setSizes([320, 960])
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 6, 8, 4)
        layout.addWidget(self.errors)
        layout.addWidget(self.banner)
        layout.addWidget(self.main_splitter, 1)
        self.setCentralWidget(central)
        self._style_banner()

    def _build_status_bar(self) -> None:
        self.session_label = QLabel("Opening…", self)
        self.session_label.setObjectName("sessionLabel")
        bar = self.statusBar()
        bar.addWidget(self.session_label, 1)
        bar.addPermanentWidget(self.budget)

    def _action(
        self,
        menu: QMenu,
        name: str,
        text: str,
        slot: Callable[[], object],
        shortcuts: tuple[QKeySequence | str, ...] = (),
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        self.addAction(action)  # shortcuts work wherever the focus is in the window
        self.actions_by_name[name] = action
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "createWorkspace", "&Create workspace…", self.on_create_workspace)
        self._action(file, "openWorkspace", "&Open workspace…", self.on_open_workspace)
        self._action(file, "openDemo", "Open the offline &demo", self.on_open_demo)
        file.addSeparator()
        self._action(
            file,
            "saveBody",
            "&Save response body…",
            self.response.body.on_save_clicked,
            ("Ctrl+S",),
        )
        file.addSeparator()
        self._action(file, "quit", "&Quit", self.close, ("Ctrl+Q",))
        edit = bar.addMenu("&Edit")
        self._action(edit, "focusUrl", "Go to the &URL", self._focus_url, ("Ctrl+L",))
        self._action(edit, "focusApps", "Search &apps", self._focus_apps, ("Ctrl+K",))
        self._action(
            edit, "findInBody", "&Find in the response", self.response.body.show_find, ("Ctrl+F",)
        )
        request = bar.addMenu("&Request")
        self._action(
            request, "send", "&Send", self.composer.send.click, ("Ctrl+Return", "Ctrl+Enter")
        )
        self.cancel_action = self._action(
            request, "cancel", "&Cancel", self.controller.cancel, ("Esc",)
        )
        self.cancel_action.setEnabled(False)
        accounts = bar.addMenu("&Accounts")
        self._action(accounts, "addUser", "Add &user…", self.on_add_user, ("Ctrl+Shift+U",))
        self._action(accounts, "removeUser", "&Remove user…", self.on_remove_user)
        accounts.addSeparator()
        self._action(
            accounts, "connectAccount", "&Connect account…", self.on_connect, ("Ctrl+Shift+N",)
        )
        self._action(accounts, "verifyAccount", "&Verify account", self.on_verify_account)
        self._action(accounts, "removeAccount", "Remove &account…", self.on_remove_account)
        view = bar.addMenu("&View")
        self._action(view, "zoomIn", "Zoom &in", lambda: self.zoom(+1), ("Ctrl++", "Ctrl+="))
        self._action(view, "zoomOut", "Zoom &out", lambda: self.zoom(-1), ("Ctrl+-",))
        self._action(view, "zoomReset", "&Actual size", lambda: self.zoom(0), ("Ctrl+0",))
        themes = view.addMenu("&Theme")
        group = QActionGroup(self)
        current = self.settings.get("appearance/theme")
        for name in THEMES:
            action = QAction(name.title(), group)
            action.setObjectName(f"theme_{name}")
            action.setCheckable(True)
            action.setChecked(name == current)
            action.triggered.connect(lambda _checked=False, n=name: self.set_theme(n))
            themes.addAction(action)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "shortcuts", "&Keyboard shortcuts", self.show_shortcuts, ("F1",))

    def _wire(self) -> None:
        self.create_workspace_button.clicked.connect(self.on_create_workspace)
        self.pickers.add_user_requested.connect(self.on_add_user)
        self.pickers.remove_user_requested.connect(self.on_remove_user)
        self.pickers.connect_requested.connect(self.on_connect)
        self.pickers.remove_account_requested.connect(self.on_remove_account)
        self.controller.session_opened.connect(self._update_title)
        # Esc belongs to "Cancel" only while a request is in flight; otherwise widgets get it.
        self.composer.busy_changed.connect(self.cancel_action.setEnabled)
        self.response.body.error_occurred.connect(self.errors.report)
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_system_scheme)

    def _on_system_scheme(self) -> None:
        """The platform switched light/dark: follow it when the theme is "system"."""
        if self.settings.get("appearance/theme") == "system":
            self.set_theme("system")

    # --- starting and closing -------------------------------------------------------------

    async def start(self) -> None:
        """Open the target; ask where secrets go when the keychain cannot be used."""
        try:
            await self.controller.open(self.target)
        except SecretsChoiceNeeded as needed:
            self._ask_secrets(needed)
        except Exception as error:
            self.errors.report(error)
        self._update_title()

    def _ask_secrets(self, needed: SecretsChoiceNeeded) -> None:
        workspace = self.target.workspace or default_workspace_path()

        def chosen(mode: SecretsMode, passphrase: str | None) -> None:
            self.target = SessionTarget(workspace=workspace, secrets=mode, passphrase=passphrase)
            self.tasks.spawn(self.start())

        from workbench.ui.dialogs.secrets import SecretsChoiceDialog  # rarely needed

        SecretsChoiceDialog(needed.reason, needed.secrets_file, chosen, self).open()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Remember the layout, then let the application quit."""
        self.controller.cancel()
        self.budget.stop()
        settings = self.settings
        settings.set("window/geometry", bytes(self.saveGeometry().data()))
        settings.set("window/state", bytes(self.saveState().data()))
        settings.set("window/splitter_main", bytes(self.main_splitter.saveState().data()))
        settings.set("window/splitter_work", bytes(self.work_splitter.saveState().data()))
        settings.set("window/splitter_apps", bytes(self.apps.splitter.saveState().data()))
        settings.sync()
        super().closeEvent(event)
        self.closed.emit()

    def _restore_geometry(self) -> None:
        settings = self.settings
        if not self.restoreGeometry(QByteArray(settings.get("window/geometry"))):
            self.resize(1360, 860)
        self.restoreState(QByteArray(settings.get("window/state")))
        for key, splitter in (
            ("window/splitter_main", self.main_splitter),
            ("window/splitter_work", self.work_splitter),
            ("window/splitter_apps", self.apps.splitter),
        ):
            splitter.restoreState(QByteArray(settings.get(key)))

    # --- the window itself ----------------------------------------------------------------

    def _update_title(self) -> None:
        session = self.bridge.session
        if session is None:
            self.setWindowTitle(TITLE)
            self.session_label.setText("No workspace is open")
            return
        if session.is_demo:
            self.setWindowTitle(f"{TITLE} — Demo (offline sandbox)")
            where = "Demo workspace · sandbox upstream on 127.0.0.1 · secrets in memory"
        else:
            self.setWindowTitle(f"{TITLE} — {session.workspace.path.name}")
            where = (
                f"{session.workspace.path} · secrets: {session.vault.reason or session.vault.kind}"
            )
        self.banner.setVisible(session.is_demo and self._first_run)
        self.session_label.setText(where)
        self.session_label.setToolTip(where)

    def _style_banner(self) -> None:
        colors = theme.colors()
        self.banner.setStyleSheet(
            f"#demoBanner {{ background: {colors.banner_bg.name()}; border-radius: 4px; }}"
        )

    def set_theme(self, name: str) -> None:
        """Switch to the ``system``, ``light`` or ``dark`` theme and remember it."""
        app = QApplication.instance()
        if not isinstance(app, QApplication):
            return
        self.settings.set("appearance/theme", name)
        theme.apply_theme(app, name)
        self._style_banner()
        self.errors.restyle()
        self.response.restyle()
        self.composer.revalidate()
        self.budget.tick()
        self.apps.details.show_app(self.apps.current_app)
        for action in self.findChildren(QAction):
            if action.objectName() == f"theme_{name}":
                action.setChecked(True)

    def zoom(self, step: int) -> None:
        """Make text bigger (+1), smaller (-1) or the normal size (0), and remember it."""
        app = QApplication.instance()
        if not isinstance(app, QApplication):
            return
        percent = theme.next_zoom(self.settings.get("appearance/zoom"), step)
        self.settings.set("appearance/zoom", percent)
        theme.apply_zoom(app, percent)
        self.statusBar().showMessage(f"Zoom {percent}%", 2000)

    def show_shortcuts(self) -> None:
        """List every keyboard shortcut."""
        ShortcutsDialog(self.actions_by_name.values(), self).open()

    def _focus_url(self) -> None:
        self.composer.url.setFocus()
        self.composer.url.selectAll()

    def _focus_apps(self) -> None:
        self.apps.search.setFocus()
        self.apps.search.selectAll()

    # --- workspaces -----------------------------------------------------------------------

    def on_create_workspace(self) -> None:
        """Create the default workspace with a first project and switch to it."""
        path = default_workspace_path()
        ask_text(
            self,
            "Create your workspace",
            f"A workspace keeps your projects, users and accounts in {path}; secrets go to "
            "the keychain.\n\nName of your first project:",
            lambda name: self.tasks.spawn(self._create_workspace(path, name.strip())),
            "My project",
        )

    async def _create_workspace(self, path: Path, project: str) -> None:
        target = SessionTarget(workspace=path)
        self.target = target
        self._first_run = False
        try:
            await self.controller.open(target)
        except SecretsChoiceNeeded as needed:
            self._ask_secrets(needed)
            return
        if not self.controller.projects:
            await self.bridge.call(Session.create_project, project)
            await self.controller.reload()
        self._update_title()

    def on_open_workspace(self) -> None:
        """Choose a workspace file and open it."""
        dialog = QFileDialog(self, "Open a workspace", str(default_workspace_path().parent))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setNameFilter("Workspaces (*.sqlite3 *.db);;All files (*)")
        dialog.fileSelected.connect(lambda name: self._switch(SessionTarget(workspace=Path(name))))
        dialog.open()

    def on_open_demo(self) -> None:
        """Switch to a fresh offline demo."""
        self._switch(SessionTarget(demo=True))

    def _switch(self, target: SessionTarget) -> None:
        self.target = target
        self.tasks.spawn(self.start())

    # --- users and accounts ---------------------------------------------------------------

    def on_add_user(self) -> None:
        """Ask for an external user id and add the user."""
        if not self.controller.project_id:
            self.errors.report("Choose a project first.")
            return
        ask_text(
            self,
            "Add an external user",
            "The external user id (your product's id for the end user):",
            lambda text: self.tasks.spawn(self._add_user(text)),
        )

    async def _add_user(self, external_id: str) -> None:
        await self.controller.add_user(external_id)

    def on_remove_user(self) -> None:
        """Remove the chosen user, their accounts and secrets, after asking."""
        user = self.controller.user_id
        if not user:
            return
        count = sum(1 for a in self.controller.accounts if a.external_user_id == user)
        environment = self.controller.environment
        confirm(
            self,
            "Remove user",
            f"Remove {user} and their {count} account{'s' if count != 1 else ''} in "
            f"{environment}? The accounts' secrets are removed from the keychain too; the "
            "user goes once no account is left in any environment.",
            "Remove user",
            lambda: self.tasks.spawn(self._remove_user(user)),
        )

    async def _remove_user(self, user: str) -> None:
        await self.controller.remove_user(user)

    def on_remove_account(self) -> None:
        """Remove the chosen account and its secrets, after asking."""
        account = self.controller.account
        if account is None:
            return
        confirm(
            self,
            "Remove account",
            f"Remove {account.name or account.id} ({account.id})? Its secrets are removed "
            "from the keychain too.",
            "Remove account",
            lambda: self.tasks.spawn(self._remove_account(account.id)),
        )

    async def _remove_account(self, account_id: str) -> None:
        await self.controller.remove_account(account_id)

    @asyncSlot()
    @reported
    async def on_verify_account(self) -> None:
        """Run the chosen account's verification call again and show its health."""
        account = self.controller.account
        if account is None:
            return
        checked = await self.bridge.run(Session.verify_account, account.id)
        await self.controller.account_added(checked)
        verdict = "healthy" if checked.healthy else "unhealthy"
        self.statusBar().showMessage(f"{checked.id} is {verdict}: {checked.health_detail}", 8000)

    def on_connect(self) -> ConnectAccountDialog | None:
        """Open the connect-account form for the chosen app and user."""
        # Imported when first opened: the form's field checks load the catalog's parsers,
        # which the window's first paint does not need.
        from workbench.ui.dialogs.connect import ConnectAccountDialog, OAuthCallbacks

        app, user = self.apps.current_app, self.controller.user_id
        if app is None:
            self.errors.report("Choose the app to connect an account of.")
            return None
        if not user:
            self.errors.report("Choose or add the external user the account belongs to.")
            return None
        if not app.connect.proxy_enabled:
            self.errors.report(
                f"The proxy cannot call {app.name}, so accounts of it are of no use."
            )
            return None
        project, environment = self.controller.project_id, self.controller.environment

        async def verify(values: AccountInput) -> Verified:
            return await self.bridge.run(
                Session.verify_unsaved,
                project,
                user,
                app.name_slug,
                custom_fields=values.custom_fields,
                secrets=values.secrets,
                environment=environment,
                allow_private_network=values.allow_private_network,
            )

        async def save(values: AccountInput, verified: Verified | None) -> Account:
            account = await self.bridge.call(
                _add_account, project, user, app.name_slug, environment, values
            )
            if verified is not None:
                account = await self.bridge.call(Session.record_health, account.id, verified)
            return account

        async def describe() -> OAuthClientInfo:
            return await self.bridge.call(Session.oauth_client_info, app.name_slug)

        async def start(values: AccountInput, sign_in: SignInInput) -> PendingSignIn:
            return await self.bridge.run(
                Session.oauth_start,
                app.name_slug,
                client_id=sign_in.client_id,
                client_secret=sign_in.client_secret,
                scopes=sign_in.scopes,
                custom_fields=values.custom_fields,
                allow_private_network=values.allow_private_network,
            )

        async def finish(pending: PendingSignIn, values: AccountInput, wait: float) -> Account:
            return await self.bridge.run(
                Session.oauth_finish,
                pending.key,
                project,
                user,
                environment=environment,
                name=values.name,
                allow_private_network=values.allow_private_network,
                wait=wait,
            )

        oauth = OAuthCallbacks(describe, start, finish, lambda url: self.open_url(url))
        dialog = ConnectAccountDialog(
            app,
            user,
            environment,
            verify=verify,
            save=save,
            oauth=oauth,
            oauth_timeout=self.sign_in_timeout,
            parent=self,
        )
        dialog.account_saved.connect(
            lambda account: self.tasks.spawn(self.controller.account_added(account))
        )
        dialog.open()
        return dialog


def _add_account(
    session: Session, project: str, user: str, app: str, environment: str, values: AccountInput
) -> Account:
    """``Session.add_account`` with a form's values (runs in the worker thread)."""
    return session.add_account(
        project,
        user,
        app,
        custom_fields=values.custom_fields,
        secrets=values.secrets,
        environment=environment,
        name=values.name,
        allow_private_network=values.allow_private_network,
    )
