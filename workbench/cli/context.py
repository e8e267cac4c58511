"""What a command works on: the workspace, catalog, vault, connections and engine it opens.

``--demo`` gives the fresh offline demo (sandbox started in this process, temporary
workspace, memory vault); otherwise the user's workspace (or ``--workspace PATH``) with
the builtin catalog plus the apps imported into it. The vault and the engine are opened
on first use only, so listing projects never asks for a keychain or a passphrase.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.cli.exits import CliError
from workbench.cli.output import print_warning
from workbench.core.catalog import Catalog
from workbench.core.store.apps import workspace_catalog
from workbench.core.store.vault import PASSPHRASE_ENV, Vault, default_secrets_file, open_vault
from workbench.core.store.workspace import (
    Project,
    Workspace,
    WorkspaceError,
    default_workspace_path,
)

if TYPE_CHECKING:
    # Imported when first used: they pull in keyring and cryptography, which commands that
    # only read the workspace (apps, projects list) do not need; the CLI starts quickly.
    from workbench.core.engine import ProxyEngine
    from workbench.core.store.connections import Connections
    from workbench.sandbox.demo import Demo

Handler = Callable[[argparse.Namespace], Awaitable[int]]
CommandBody = Callable[[argparse.Namespace, "Context"], Awaitable[int]]


class Context:
    """The state one command runs against; vault, connections and engine open lazily.

    Attributes:
        workspace: the open workspace.
        catalog: builtin apps plus imported (and, in the demo, sandbox) apps.
        demo: the running demo, or None for a real workspace.
    """

    def __init__(
        self,
        workspace: Workspace,
        catalog: Catalog,
        *,
        open_vault: Callable[[], Vault],
        stack: contextlib.AsyncExitStack,
        demo: Demo | None = None,
        connections: Connections | None = None,
        engine: ProxyEngine | None = None,
    ) -> None:
        """Wrap opened state; use :func:`open_context`."""
        self.workspace = workspace
        self.catalog = catalog
        self.demo = demo
        self._open_vault = open_vault
        self._stack = stack
        self._vault: Vault | None = None
        self._connections = connections
        self._engine = engine

    @property
    def vault(self) -> Vault:
        """The vault, opened on first use (may prompt for a passphrase)."""
        if self._vault is None:
            self._vault = self._open_vault()
            if not self._vault.persistent and self.demo is None:
                print_warning(self._vault.reason)
        return self._vault

    @property
    def connections(self) -> Connections:
        """Workspace and vault kept in step (accounts, secrets, client credentials).

        Opening them finishes whatever a crashed command left half done (see
        ``Connections.reconcile``), when the vault is the workspace's own persistent one:
        a session-only memory vault holds none of the workspace's secrets.
        """
        if self._connections is None:
            from workbench.core.store.connections import Connections

            connections = Connections(self.workspace, self.vault, self.catalog)
            if self.vault.persistent:
                connections.reconcile()
            self._connections = connections
        return self._connections

    @property
    def engine(self) -> ProxyEngine:
        """The proxy engine over this context's accounts; closed when the command ends."""
        if self._engine is None:
            # The workspace's shared budget, and OAuth tokens renewed as they expire.
            self._engine = self.connections.engine()
            self._stack.push_async_callback(self._engine.aclose)
        return self._engine

    def project(self, project_id: str | None) -> Project:
        """The project named by ``--project``, or the only project when none is named.

        Raises:
            CliError: no such project, or several exist and none is named.
        """
        if project_id:
            project = self.workspace.get_project(project_id)
            if project is None:
                raise CliError(f"no project {project_id!r} in {self.where}")
            return project
        projects = self.workspace.list_projects()
        if len(projects) == 1:
            return projects[0]
        if not projects:
            raise CliError(
                f"no project in {self.where} yet: create one with "
                "'workbench projects create --name NAME'"
            )
        ids = ", ".join(p.id for p in projects)
        raise CliError(f"{len(projects)} projects exist ({ids}): name one with --project")

    @property
    def where(self) -> str:
        """How to name this workspace in a message."""
        return "the demo workspace" if self.demo is not None else f"workspace {self.workspace.path}"


@contextlib.asynccontextmanager
async def open_context(args: argparse.Namespace) -> AsyncIterator[Context]:
    """Open what ``args`` names (``--demo`` or ``--workspace``) for one command."""
    async with contextlib.AsyncExitStack() as stack:
        if getattr(args, "demo", False):
            from workbench.sandbox.demo import open_demo  # starlette/uvicorn: only for --demo

            demo = await stack.enter_async_context(open_demo())
            yield Context(
                demo.workspace,
                demo.catalog,
                open_vault=lambda: demo.vault,
                stack=stack,
                demo=demo,
                connections=demo.connections,
                engine=demo.engine,
            )
        else:
            workspace = _open_workspace(args.workspace)
            stack.callback(workspace.close)
            path, mode = workspace.path, getattr(args, "secrets", "auto")
            yield Context(
                workspace,
                _catalog(workspace),
                open_vault=lambda: _open_vault(mode, path),
                stack=stack,
            )


def uses_context(body: CommandBody) -> Handler:
    """Turn ``body(args, context)`` into a command handler that opens the context first."""

    async def handler(args: argparse.Namespace) -> int:
        async with open_context(args) as context:
            return await body(args, context)

    handler.__doc__ = body.__doc__
    return handler


def _catalog(workspace: Workspace) -> Catalog:
    """The builtin catalog with the workspace's imported apps layered over it."""
    return workspace_catalog(
        workspace, on_skipped=lambda error: print_warning(f"ignoring an imported app: {error}")
    )


def _open_workspace(given: str | None) -> Workspace:
    path = Path(given).expanduser() if given else default_workspace_path()
    try:
        return Workspace.open(path)
    except WorkspaceError as exc:
        message = str(exc)
        if str(path) not in message:  # name the file, once
            message = f"cannot open workspace {path}: {message}"
        raise CliError(message) from None


def _open_vault(mode: str, workspace_path: Path) -> Vault:
    if mode != "file":
        return open_vault("memory" if mode == "memory" else "auto")
    secrets_file = default_secrets_file(workspace_path)
    passphrase = os.environ.get(PASSPHRASE_ENV) or _ask_passphrase(secrets_file)
    return open_vault("file", path=secrets_file, passphrase=passphrase)


def _ask_passphrase(secrets_file: Path) -> str | None:
    """Prompt (without echo) on a terminal; None elsewhere, so the vault says what to set."""
    if not sys.stdin.isatty():
        return None
    passphrase = getpass.getpass(f"Passphrase for {secrets_file}: ")
    # A new file: a typo now would lock the user out of every secret they add.
    if not secrets_file.exists() and getpass.getpass("Repeat the passphrase: ") != passphrase:
        raise CliError("the passphrases differ; nothing was created")
    return passphrase or None
