"""The window's engine room: a worker thread with its own event loop, and the session on it.

The UI thread never waits on the network, the disk or the keychain. Everything that may
(the engine, the sandbox, SQLite, the vault) lives in a :class:`Session` that only the
worker thread touches; the window submits work with :meth:`Worker.submit` or
:meth:`Worker.call` and awaits the returned future on its own (qasync) loop. This module
imports no Qt (an import-linter contract keeps it so).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from workbench import eventloop
from workbench.core.accounts import ENVIRONMENTS, Account, InMemoryAccounts
from workbench.core.errors import RuleError
from workbench.core.exchange import BudgetSnapshot, ProxyRequest, ProxyResult

if TYPE_CHECKING:
    # The engine and the vault are imported where a session opens, in the worker thread:
    # they pull in keyring, cryptography and the catalog's parsers (a large share of
    # start-up), which the window's first paint does not need and which would otherwise be
    # imported on the UI thread before it.
    from workbench.core.catalog import Catalog
    from workbench.core.engine import ProxyEngine, ReceivedCallback
    from workbench.core.store.connections import Connections
    from workbench.core.store.vault import Vault
    from workbench.core.store.workspace import ExternalUser, Project, Workspace

T = TypeVar("T")
SecretsMode = Literal["auto", "memory", "file"]


class Worker:
    """A daemon thread running an asyncio loop (uvloop where installed) for the session.

    Futures returned by :meth:`submit` and :meth:`call` are ``concurrent.futures``
    futures: the UI awaits them with :func:`asyncio.wrap_future`, and cancelling one
    cancels the coroutine in the worker.
    """

    def __init__(self, name: str = "workbench-engine") -> None:
        """Create the worker; :meth:`start` runs it."""
        self._loop = eventloop.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Start the thread and its loop."""
        self._thread.start()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The worker's event loop (only to schedule work on it from other threads)."""
        return self._loop

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run ``coroutine`` on the worker loop."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    def call(self, function: Callable[..., T], *args: Any) -> concurrent.futures.Future[T]:
        """Run the plain function ``function(*args)`` in the worker thread."""

        async def run() -> T:
            return function(*args)

        return self.submit(run())

    def stop(self, timeout: float = 5.0) -> None:
        """Cancel what still runs, stop the loop and wait for the thread (at most ``timeout``)."""
        if not self._thread.is_alive():
            return

        def cancel_all() -> None:
            for task in asyncio.all_tasks(self._loop):
                task.cancel()
            self._loop.call_soon(self._loop.stop)

        self._loop.call_soon_threadsafe(cancel_all)
        self._thread.join(timeout)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_forever()
        finally:
            with contextlib.suppress(RuntimeError):
                self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()


@dataclass(frozen=True)
class SessionTarget:
    """What a window opens: the demo, or a workspace file with a secrets mode.

    Attributes:
        demo: open the offline demo (sandbox upstream, temporary workspace, memory vault).
        workspace: the workspace file (ignored for the demo).
        secrets: ``auto`` (system keychain), ``memory`` or ``file`` (encrypted file).
        passphrase: unlocks the secrets file in ``file`` mode.
    """

    demo: bool = False
    workspace: Path | None = None
    secrets: SecretsMode = "auto"
    passphrase: str | None = None


class SecretsChoiceNeeded(Exception):
    """The workspace needs a secrets store the person must choose (no system keychain).

    Attributes:
        reason: what is missing, in a sentence.
        secrets_file: where the encrypted file would be.
    """

    def __init__(self, reason: str, secrets_file: Path) -> None:
        super().__init__(reason)
        self.reason = reason
        self.secrets_file = secrets_file


@dataclass(frozen=True)
class OAuthClientInfo:
    """What the connect form shows of an app's OAuth client before a sign-in.

    Attributes:
        client_id: the client id remembered for the app ("" when none).
        secret_remembered: a secret is remembered for that client id.
        redirect_uri: the redirect URI to register with the provider (its port is kept).
    """

    client_id: str
    secret_remembered: bool
    redirect_uri: str


@dataclass(frozen=True)
class PendingSignIn:
    """A sign-in waiting for the browser: ``key`` names it to the session."""

    key: str
    authorize_url: str
    redirect_uri: str


@dataclass(frozen=True)
class Verified:
    """The outcome of an account's verification call.

    Attributes:
        healthy: the upstream answered a status the app's verification expects.
        detail: ``HTTP <status>: <start of the body>`` or the engine's message; no secret.
    """

    healthy: bool
    detail: str


class Session:
    """A workspace (or the demo) opened for the window: catalog, accounts, engine.

    Touch it only from the worker thread. Attributes:
        catalog: builtin apps plus imported (and, in the demo, sandbox) apps.
        workspace: the open workspace.
        vault: where this session's secrets live.
        connections: accounts and secrets kept in step.
        engine: the proxy engine every send goes through.
        is_demo: True for the offline demo.
        warnings: things the person should know about this session (skipped apps...).
    """

    def __init__(
        self,
        *,
        catalog: Catalog,
        workspace: Workspace,
        vault: Vault,
        connections: Connections,
        engine: ProxyEngine,
        stack: contextlib.AsyncExitStack,
        is_demo: bool,
        warnings: tuple[str, ...] = (),
    ) -> None:
        """Wrap opened state; use :meth:`open`."""
        self.catalog = catalog
        self.workspace = workspace
        self.vault = vault
        self.connections = connections
        self.engine = engine
        self.is_demo = is_demo
        self.warnings = warnings
        self._stack = stack
        # key -> (AuthorizationFlow waiting for its browser, the client secret typed for it)
        self._sign_ins: dict[str, tuple[Any, str]] = {}

    @classmethod
    async def open(cls, target: SessionTarget) -> Session:
        """Open what ``target`` names.

        Raises:
            SecretsChoiceNeeded: ``auto`` and no system keychain exists.
            WorkspaceError: the workspace file cannot be opened.
            VaultError: a locked or damaged secrets file.
        """
        stack = contextlib.AsyncExitStack()
        try:
            if target.demo:
                return await cls._open_demo(stack)
            return await cls._open_workspace(target, stack)
        except BaseException:
            await stack.aclose()
            raise

    @classmethod
    async def _open_demo(cls, stack: contextlib.AsyncExitStack) -> Session:
        # Imported here: starlette and uvicorn are needed for the demo's sandbox only.
        from workbench.sandbox.demo import open_demo

        demo = await stack.enter_async_context(open_demo())
        return cls(
            catalog=demo.catalog,
            workspace=demo.workspace,
            vault=demo.vault,
            connections=demo.connections,
            engine=demo.engine,
            stack=stack,
            is_demo=True,
        )

    @classmethod
    async def _open_workspace(
        cls, target: SessionTarget, stack: contextlib.AsyncExitStack
    ) -> Session:
        # In the worker thread, on purpose: see the TYPE_CHECKING note at the top.
        from workbench.core.catalog import CatalogError
        from workbench.core.store.apps import workspace_catalog
        from workbench.core.store.connections import Connections
        from workbench.core.store.vault import VaultUnavailable, default_secrets_file, open_vault
        from workbench.core.store.workspace import Workspace

        if target.workspace is None:
            raise ValueError("a workspace session needs a workspace path")
        workspace = stack.enter_context(Workspace.open(target.workspace))
        warnings: list[str] = []

        def skipped(error: CatalogError) -> None:
            warnings.append(f"An imported app was skipped: {error}")

        catalog = workspace_catalog(workspace, on_skipped=skipped)
        secrets_file = default_secrets_file(workspace.path)
        try:
            if target.secrets == "file":
                vault = open_vault("file", path=secrets_file, passphrase=target.passphrase)
            else:
                vault = open_vault(target.secrets)
        except VaultUnavailable as error:
            raise SecretsChoiceNeeded(str(error), secrets_file) from None
        if not vault.persistent:
            warnings.append(vault.reason)
        connections = Connections(workspace, vault, catalog)
        # The workspace's budget, shared with every CLI and server on this workspace.
        engine = await stack.enter_async_context(connections.engine())
        return cls(
            catalog=catalog,
            workspace=workspace,
            vault=vault,
            connections=connections,
            engine=engine,
            stack=stack,
            is_demo=False,
            warnings=tuple(warnings),
        )

    async def aclose(self) -> None:
        """Close the sign-ins still waiting, the engine, the sandbox (demo) and the workspace."""
        for flow, _ in list(self._sign_ins.values()):
            await flow.aclose()
        self._sign_ins.clear()
        await self._stack.aclose()

    @property
    def where(self) -> str:
        """How to name this session to a person."""
        return "the offline demo" if self.is_demo else str(self.workspace.path)

    def projects(self) -> list[Project]:
        """Every project of the workspace."""
        return self.workspace.list_projects()

    def create_project(self, name: str) -> Project:
        """Create a project."""
        return self.workspace.create_project(name)

    def users(self, project_id: str) -> list[ExternalUser]:
        """The project's external users, in every environment.

        A user just added has no account yet, so filtering by environment would hide
        them; the accounts shown for a user are those of the chosen environment.
        """
        return self.workspace.list_users(project_id)

    def add_user(self, project_id: str, external_id: str) -> ExternalUser:
        """Create (or find) an external user of the project."""
        return self.workspace.ensure_user(project_id, external_id)

    def remove_user(self, project_id: str, external_id: str, environment: str) -> list[str]:
        """Remove a user's accounts in ``environment`` with their secrets (and the user once
        no account is left anywhere, as the REST route does); the removed account ids."""
        return self.connections.remove_user(project_id, external_id, environment=environment)

    def accounts(self, project_id: str, environment: str) -> list[Account]:
        """The project's accounts in one environment."""
        return self.workspace.list_accounts(project_id, environment=environment)

    def add_account(
        self, project_id: str, external_user_id: str, app_slug: str, **options: Any
    ) -> Account:
        """Validate and store an account and its secrets (``Connections.add_account``)."""
        return self.connections.add_account(project_id, external_user_id, app_slug, **options)

    def remove_account(self, account_id: str) -> bool:
        """Remove an account and its secrets."""
        return self.connections.remove_account(account_id)

    def record_health(self, account_id: str, verified: Verified) -> Account:
        """Store a verification outcome on the account."""
        return self.workspace.set_account_health(account_id, verified.healthy, verified.detail)

    async def verify_account(self, account_id: str) -> Account:
        """Run a stored account's verification call and record its health."""
        return await self.connections.verify_account(self.engine, account_id)

    async def verify_unsaved(
        self,
        project_id: str,
        external_user_id: str,
        app_slug: str,
        *,
        custom_fields: Mapping[str, str],
        secrets: Mapping[str, str],
        environment: str,
        allow_private_network: bool,
    ) -> Verified:
        """Run the app's verification call for values typed into a connect form, storing nothing.

        The call goes through an engine over an in-memory copy of the account that shares
        this session's rate budget, so it counts like any other request.

        Raises:
            RuleError: a bad custom field or secret, or an app without verification.
        """
        # In the worker thread, on purpose: see the TYPE_CHECKING note at the top.
        from workbench.core.engine import ProxyEngine
        from workbench.core.store.account_input import check_custom_fields, check_secrets
        from workbench.core.store.ids import new_id

        app = self.catalog.get(app_slug)
        if app is None:
            raise RuleError("app_not_found", f"Unknown app '{app_slug}'", field="app")
        fields = check_custom_fields(
            app, custom_fields, allow_private_network=allow_private_network
        )
        values = check_secrets(app, secrets)
        if environment not in ENVIRONMENTS:
            raise RuleError(
                "bad_environment",
                f"Environment must be development or production, got {environment!r}",
                field="environment",
            )
        scratch = InMemoryAccounts()
        account = Account(
            new_id("apn"),
            project_id,
            app_slug,
            external_user_id,
            environment,
            custom_fields=fields,
            allow_private_network=allow_private_network,
        )
        scratch.add(account, values)
        async with ProxyEngine(
            self.catalog,
            scratch,
            scratch,
            budget=self.engine.budget,
            events=self.engine.events,
            allow_private_networks=self.engine.allow_private_networks,
        ) as engine:
            healthy, detail = await self.connections.verification_outcome(engine, account, values)
        return Verified(healthy, detail)

    async def send(
        self, request: ProxyRequest, on_received: ReceivedCallback | None = None
    ) -> ProxyResult:
        """Send through the engine (raises only ``ProxyError``)."""
        return await self.engine.send(request, on_received=on_received)

    def budget(self, project_id: str) -> BudgetSnapshot:
        """The project's rate budget now, spending nothing."""
        return self.engine.budget_snapshot(project_id)

    # OAuth sign-in (the flow's listener and token exchange run here, in the worker)

    def oauth_client_info(self, app_slug: str) -> OAuthClientInfo:
        """The app's remembered OAuth client, and the redirect URI to register.

        The first time, a free port is chosen and remembered, so the URI shown now is the
        one every later sign-in of the app uses.
        """
        import socket

        from workbench.core.oauth.redirect import redirect_uri

        record, remembered = self.connections.oauth_client(app_slug)
        port = record.redirect_port if record is not None else None
        if port is None:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = int(probe.getsockname()[1])
            self.connections.remember_oauth_client(app_slug, redirect_port=port)
        client_id = record.client_id if record is not None else ""
        return OAuthClientInfo(client_id, remembered, redirect_uri(port))

    async def oauth_start(
        self,
        app_slug: str,
        *,
        client_id: str,
        client_secret: str,
        scopes: list[str],
        custom_fields: Mapping[str, str],
        allow_private_network: bool,
    ) -> PendingSignIn:
        """Start a sign-in: listen on the app's redirect port, build the authorize URL.

        An empty ``client_secret`` uses the one remembered for ``client_id`` (or none: a
        public client). The client id is remembered at once; the secret once it worked.

        Raises:
            RuleError: a bad client id, scope or custom field, or not an OAuth app.
            RedirectPortBusy: the redirect port is in use.
            VaultError: the remembered secret cannot be read.
        """
        from workbench.core.oauth.client import ClientCredentials
        from workbench.core.oauth.flow import AuthorizationFlow
        from workbench.core.store.ids import random_base62

        app = self.catalog.get(app_slug)
        if app is None:
            raise RuleError("app_not_found", f"Unknown app '{app_slug}'", field="app")
        secret = client_secret or self.connections.oauth_client_secret(app_slug, client_id) or ""
        record, _ = self.connections.oauth_client(app_slug)
        port = record.redirect_port if record is not None and record.redirect_port else 0
        flow = await AuthorizationFlow.start(
            app,
            ClientCredentials(client_id.strip(), secret),
            scopes=scopes,
            custom_fields=custom_fields,
            port=port,
            allow_private_network=allow_private_network or self.engine.allow_private_networks,
        )
        self.connections.remember_oauth_client(
            app_slug, client_id=client_id.strip(), redirect_port=flow.redirect_port
        )
        key = random_base62(16)
        self._sign_ins[key] = (flow, client_secret)
        return PendingSignIn(key, flow.authorize_url, flow.redirect_uri)

    async def oauth_finish(
        self,
        key: str,
        project_id: str,
        external_user_id: str,
        *,
        environment: str,
        name: str,
        allow_private_network: bool,
        wait: float,
    ) -> Account:
        """Wait for the browser (at most ``wait`` seconds), then store the account.

        The sign-in ends here whatever happens (cancelling the caller cancels it).

        Raises:
            OAuthFailure: the provider's error, a timeout, a failing token URL.
            RuleError: the token response's custom fields break the rules.
        """
        flow, typed_secret = self._sign_ins[key]
        try:
            authorized = await flow.finish(wait=wait)
        finally:
            self._sign_ins.pop(key, None)
            await flow.aclose()
        account = self.connections.add_oauth_account(
            project_id,
            external_user_id,
            flow.app.name_slug,
            authorized,
            environment=environment,
            name=name,
            allow_private_network=allow_private_network,
        )
        if typed_secret:  # it worked: remembered for this client id
            self.connections.remember_oauth_client(
                flow.app.name_slug,
                client_id=authorized.tokens.client_id,
                client_secret=typed_secret,
            )
        return account
