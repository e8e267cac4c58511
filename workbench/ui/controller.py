"""What the window does: keep the selection, load it off the UI thread, send and cancel.

The widgets only display and emit; this controller owns the state (project, environment,
user, account, app), asks the session for data through the :class:`Bridge`, and pushes
results back into the widgets. Every async slot reports its failures on the error bar.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from qasync import asyncSlot

from workbench.core.accounts import Account
from workbench.core.errors import ProxyError
from workbench.core.exchange import ProxyRequest, ProxyResult
from workbench.ui.backend import Session, SessionTarget
from workbench.ui.bridge import Bridge
from workbench.ui.errors import ErrorBar, reported
from workbench.ui.models.choices import Choice, account_choice
from workbench.ui.settings import Settings
from workbench.ui.widgets.appbrowser import AppBrowser
from workbench.ui.widgets.budget import BudgetIndicator
from workbench.ui.widgets.composer import Composed, Composer
from workbench.ui.widgets.pickers import PickerBar
from workbench.ui.widgets.response import ResponsePanel

if TYPE_CHECKING:  # types only: the session imports these (and SQLite) in its thread
    from workbench.core.catalog import App
    from workbench.core.store.workspace import ExternalUser, Project


# Engine refusals that marked the account unhealthy on the way.
_HEALTH_CHANGED = frozenset({"oauth_refresh_failed", "credentials_unavailable"})


@dataclass
class Parts:
    """The widgets the controller drives."""

    apps: AppBrowser
    pickers: PickerBar
    composer: Composer
    response: ResponsePanel
    budget: BudgetIndicator
    errors: ErrorBar


class _Received:
    """How much of the body has arrived, written by the worker and read by a UI timer."""

    def __init__(self) -> None:
        self.value: tuple[int, int | None] | None = None

    def __call__(self, received: int, total: int | None) -> None:
        self.value = (received, total)  # one assignment: atomic under the GIL


def _read_body(composed: Composed) -> bytes | None:
    """The body to send: typed, or the chosen file's bytes (read in the worker thread)."""
    if composed.file is not None:
        return Path(composed.file).read_bytes()
    return composed.body


class Controller(QObject):
    """Drives the window's panels over one session.

    Signals:
        session_opened(): a workspace or the demo is open and shown.
        request_finished(object): a send ended (a ``ProxyResult``, ``ProxyError`` or None
            when cancelled).
    """

    session_opened = Signal()
    request_finished = Signal(object)

    def __init__(
        self, bridge: Bridge, settings: Settings, parts: Parts, parent: QObject | None = None
    ) -> None:
        """Wire ``parts`` to ``bridge`` and ``settings``.

        Give it a parent (the window): a parentless QObject is deleted wherever Python's
        garbage collector happens to run, which may be the worker thread, and Qt objects
        (its timer) must be deleted in the thread that made them.
        """
        super().__init__(parent)
        self.bridge = bridge
        self.settings = settings
        self.parts = parts
        self.errors = parts.errors
        self._projects: list[Project] = []
        self._users: list[ExternalUser] = []
        self._accounts: list[Account] = []
        self._narrow_to_app = False
        self._inflight: asyncio.Task[ProxyResult] | None = None
        self._received = _Received()
        self._progress = QTimer(self)
        self._progress.setInterval(100)
        self._progress.timeout.connect(self._on_progress)

        parts.apps.app_chosen.connect(self.on_app_chosen)
        pickers = parts.pickers
        pickers.project_changed.connect(self.on_project_changed)
        pickers.environment_changed.connect(self.on_environment_changed)
        pickers.user_changed.connect(self.on_user_changed)
        pickers.account_changed.connect(self.on_account_changed)
        pickers.show_all_accounts_requested.connect(self.on_show_all_accounts)
        parts.composer.send_requested.connect(self.on_send)
        parts.composer.cancel_requested.connect(self.cancel)
        parts.budget.refresh_needed.connect(self.on_refresh_budget)

    # --- state --------------------------------------------------------------------------

    @property
    def session(self) -> Session | None:
        """The open session."""
        return self.bridge.session

    @property
    def project_id(self) -> str:
        """The chosen project."""
        return self.parts.pickers.project_id

    @property
    def environment(self) -> str:
        """The chosen environment."""
        return self.parts.pickers.environment_name

    @property
    def user_id(self) -> str:
        """The chosen external user."""
        return self.parts.pickers.user_id

    @property
    def account(self) -> Account | None:
        """The chosen account."""
        chosen = self.parts.pickers.account_id
        return next((a for a in self._accounts if a.id == chosen), None)

    @property
    def app(self) -> App | None:
        """The app the composer works on."""
        return self.parts.apps.current_app

    @property
    def projects(self) -> list[Project]:
        """The workspace's projects."""
        return list(self._projects)

    @property
    def accounts(self) -> list[Account]:
        """The chosen project's accounts in the chosen environment."""
        return list(self._accounts)

    @property
    def busy(self) -> bool:
        """True while a request is in flight."""
        return self._inflight is not None

    def app_name(self, slug: str) -> str:
        """An app's name, or its slug when the catalog lacks it."""
        session = self.session
        app = session.catalog.get(slug) if session else None
        return app.name if app else slug

    # --- opening ------------------------------------------------------------------------

    async def open(self, target: SessionTarget) -> Session:
        """Open ``target`` and show it, restoring the last selection where it still exists.

        Raises:
            Exception: whatever opening failed with (the caller decides what to offer).
        """
        session = await self.bridge.open(target)
        for warning in session.warnings:
            self.errors.report(warning)
        self.parts.apps.set_catalog(session.catalog)
        self.parts.apps.select_app(self.settings.get("selection/app"))
        self.parts.pickers.set_environment(self.settings.get("selection/environment"))
        await self.reload(project=self.settings.get("selection/project"))
        self.session_opened.emit()
        return session

    async def reload(self, *, project: str | None = None) -> None:
        """Fetch projects, users and accounts again and show them."""
        self._projects = await self.bridge.call(Session.projects)
        wanted = project if project is not None else self.project_id
        self.parts.pickers.set_projects(
            [Choice(p.id, (p.name,), tooltip=f"{p.name} ({p.id})") for p in self._projects],
            wanted,
        )
        await self._load_project()

    async def _load_project(self, *, user: str | None = None, account: str | None = None) -> None:
        """Fetch the chosen project's users and accounts; prefer ``user`` and ``account``."""
        project = self.project_id
        if not project:
            self._users, self._accounts = [], []
        else:
            self._users = await self.bridge.call(Session.users, project)
            self._accounts = await self.bridge.call(Session.accounts, project, self.environment)
        if user is None:
            user = self.user_id or self.settings.get("selection/user")
        if account is None:
            account = self.parts.pickers.account_id or self.settings.get("selection/account")
        self.parts.pickers.set_users(
            [Choice(u.external_id, (u.external_id,), tooltip=u.id) for u in self._users], user
        )
        self._show_accounts(account)  # remembers the selection, through _follow_account
        await self.refresh_budget()

    def _show_accounts(self, current: str) -> None:
        """Offer the chosen user's accounts, narrowed to the app when it was picked for that."""
        mine = [a for a in self._accounts if a.external_user_id == self.user_id]
        app = self.app
        shown = mine
        if self._narrow_to_app and app is not None:
            shown = [a for a in mine if a.app_slug == app.name_slug]
        self.parts.pickers.set_accounts(
            [account_choice(a, self.app_name(a.app_slug)) for a in shown],
            current,
            filtered_by=app.name if self._narrow_to_app and app else None,
            hidden=len(mine) - len(shown),
        )
        self._follow_account()

    def _follow_account(self) -> None:
        """Make the account's app the composer's app, and tell the composer."""
        account = self.account
        if account is not None and (self.app is None or self.app.name_slug != account.app_slug):
            self.parts.apps.select_app(account.app_slug)
        self.parts.composer.set_target(self.app, account if self._account_fits() else None)
        self._remember()

    def _account_fits(self) -> bool:
        account, app = self.account, self.app
        return account is not None and app is not None and account.app_slug == app.name_slug

    def _remember(self) -> None:
        settings = self.settings
        settings.set("selection/project", self.project_id)
        settings.set("selection/environment", self.environment)
        settings.set("selection/user", self.user_id)
        settings.set("selection/account", self.parts.pickers.account_id)
        settings.set("selection/app", self.app.name_slug if self.app else "")

    # --- picking ------------------------------------------------------------------------

    @asyncSlot(str)
    @reported
    async def on_project_changed(self, _project: str) -> None:
        """Show the new project's users and accounts."""
        await self._load_project()

    @asyncSlot(str)
    @reported
    async def on_environment_changed(self, _environment: str) -> None:
        """Show the accounts of the new environment."""
        await self._load_project()

    def on_user_changed(self, _user: str) -> None:
        """Show the new user's accounts."""
        self._show_accounts("")

    def on_account_changed(self, _account: str) -> None:
        """Picking an account of another app switches the app."""
        self._follow_account()

    def on_app_chosen(self, _app: App) -> None:
        """Picking an app narrows the accounts to that app's."""
        self._narrow_to_app = True
        current = self.account
        keep = current.id if current and self.app and current.app_slug == self.app.name_slug else ""
        self._show_accounts(keep)

    def on_show_all_accounts(self) -> None:
        """Drop the narrowing to one app."""
        self._narrow_to_app = False
        self._show_accounts(self.parts.pickers.account_id)

    # --- sending ------------------------------------------------------------------------

    @asyncSlot()
    @reported
    async def on_send(self) -> None:
        """Send what is composed; the window stays live, Cancel aborts it."""
        composer, response = self.parts.composer, self.parts.response
        account = self.account
        if self.busy or not composer.can_send or account is None:
            return
        composed = composer.composed()
        response.show_sending(composed.method, composed.url)
        composer.set_busy(True)
        self._received.value = None
        self._progress.start()
        outcome: ProxyResult | ProxyError | None = None
        # One task from the first await on, so Cancel works at any moment of it.
        self._inflight = asyncio.ensure_future(self._exchange(composed, account))
        try:
            outcome = await self._inflight
            response.show_result(outcome)
        except ProxyError as error:
            outcome = error
            response.show_refusal(error, composed.method, composed.url)
        except asyncio.CancelledError:
            response.show_cancelled()
        finally:
            self._inflight = None
            self._progress.stop()
            composer.set_busy(False)
            self.request_finished.emit(outcome)
        budget = outcome.budget if isinstance(outcome, ProxyResult) else None
        if budget is not None:
            self.parts.budget.set_snapshot(budget)
        else:
            await self.refresh_budget()
        if isinstance(outcome, ProxyError) and outcome.code in _HEALTH_CHANGED:
            await self._load_project()  # the picker shows the account's new health

    async def _exchange(self, composed: Composed, account: Account) -> ProxyResult:
        body = await self.bridge.run_function(_read_body, composed)
        request = ProxyRequest(
            project_id=account.project_id,
            external_user_id=account.external_user_id,
            account_id=account.id,
            method=composed.method,
            url=composed.url,
            headers=composed.headers,
            body=body,
            environment=account.environment,
            timeout=composed.timeout,
            origin="gui",
        )
        return await self.bridge.run(Session.send, request, self._received)

    def cancel(self) -> None:
        """Abort the request in flight, if any."""
        if self._inflight is not None:
            self._inflight.cancel()

    def _on_progress(self) -> None:
        if self._received.value is not None:
            self.parts.response.show_received(*self._received.value)

    # --- budget -------------------------------------------------------------------------

    async def refresh_budget(self) -> None:
        """Fetch the chosen project's budget and show it."""
        if not self.project_id or self.session is None:
            self.parts.budget.set_snapshot(None)
            return
        self.parts.budget.set_snapshot(await self.bridge.call(Session.budget, self.project_id))

    @asyncSlot()
    @reported
    async def on_refresh_budget(self) -> None:
        """The indicator asked for a newer snapshot."""
        await self.refresh_budget()

    # --- users and accounts -------------------------------------------------------------

    async def add_user(self, external_id: str) -> None:
        """Create an external user in the chosen project and choose them."""
        user = await self.bridge.call(Session.add_user, self.project_id, external_id.strip())
        await self._load_project(user=user.external_id, account="")

    async def remove_user(self, external_id: str) -> list[str]:
        """Remove a user with their accounts and secrets; the removed account ids."""
        removed = await self.bridge.call(
            Session.remove_user, self.project_id, external_id, self.environment
        )
        await self._load_project()
        return removed

    async def remove_account(self, account_id: str) -> None:
        """Remove an account and its secrets."""
        await self.bridge.call(Session.remove_account, account_id)
        await self._load_project()

    async def account_added(self, account: Account) -> None:
        """Show a newly connected account and choose it."""
        await self._load_project(user=account.external_user_id, account=account.id)
