"""The demo workspace: the sandbox upstream plus a fresh project, users and accounts.

Everything is created anew on each start, in a temporary directory and an in-memory vault,
and removed on exit: the demo never touches the user's own workspace or keychain. The ids
below are fixed so that docs, tests and scripts can name them::

    project   proj_demo
    users     alice@example.com, bob@example.com, carol@example.com
    accounts  apn_demoAliceCrm   alice  sandbox_bearer     (Authorization: Bearer)
              apn_demoAliceDesk  alice  sandbox_keyheader  (X-Api-Key, tenant "acme")
              apn_demoBobWeather bob    sandbox_query      (?api_key=)
              apn_demoCarolFiles carol  sandbox_basic      (basic auth)

Every account is in the ``development`` environment and opts in to private networks (the
sandbox listens on 127.0.0.1). Their secrets are fake and start with ``sk_demo_``.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from workbench.core.catalog import Catalog
from workbench.core.engine import ProxyEngine
from workbench.core.store.connections import Connections
from workbench.core.store.vault import Vault, open_vault
from workbench.core.store.workspace import Workspace
from workbench.sandbox.apps import sandbox_apps
from workbench.sandbox.server import SandboxServer

DEMO_PROJECT_ID = "proj_demo"
DEMO_PROJECT_NAME = "Demo project"
ALICE = "alice@example.com"
BOB = "bob@example.com"
CAROL = "carol@example.com"
DEMO_USERS = (ALICE, BOB, CAROL)


@dataclass(frozen=True)
class DemoAccount:
    """One demo account: its fixed id, owner, app, fields and (fake) secrets."""

    id: str
    external_user_id: str
    app_slug: str
    name: str
    secrets: Mapping[str, str] = field(repr=False)
    custom_fields: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


DEMO_ACCOUNTS = (
    DemoAccount(
        "apn_demoAliceCrm",
        ALICE,
        "sandbox_bearer",
        "Alice's CRM",
        MappingProxyType({"api_token": "sk_demo_alice_crm_7Qm2xV9p"}),
    ),
    DemoAccount(
        "apn_demoAliceDesk",
        ALICE,
        "sandbox_keyheader",
        "Alice's helpdesk (acme)",
        MappingProxyType({"api_key": "sk_demo_alice_desk_K3t8Wn2r"}),
        MappingProxyType({"tenant": "acme"}),
    ),
    DemoAccount(
        "apn_demoBobWeather",
        BOB,
        "sandbox_query",
        "Bob's weather",
        MappingProxyType({"api_key": "sk_demo_bob_weather_P5z1Lc6d"}),
    ),
    DemoAccount(
        "apn_demoCarolFiles",
        CAROL,
        "sandbox_basic",
        "Carol's files",
        MappingProxyType({"username": "carol_files", "password": "sk_demo_carol_files_H8v4Rj0s"}),
    ),
)


@dataclass(frozen=True)
class Demo:
    """A running demo: what a front door needs to serve it.

    Attributes:
        sandbox: the started sandbox upstream server.
        base_url: the sandbox's ``http://127.0.0.1:PORT``.
        workspace: a fresh SQLite workspace in a temporary directory (removed on exit).
        vault: a session-only in-memory vault holding the demo secrets.
        catalog: the full builtin catalog plus the sandbox apps.
        connections: accounts and secrets over ``workspace`` and ``vault``.
        engine: a proxy engine over ``catalog`` and ``connections``.
        project_id: :data:`DEMO_PROJECT_ID`.
    """

    sandbox: SandboxServer
    base_url: str
    workspace: Workspace
    vault: Vault
    catalog: Catalog
    connections: Connections
    engine: ProxyEngine
    project_id: str = DEMO_PROJECT_ID

    def describe(self) -> dict[str, Any]:
        """The demo's ids and addresses as JSON-ready data (no secrets)."""
        return {
            "project_id": self.project_id,
            "sandbox_url": self.base_url,
            "workspace": str(self.workspace.path),
            "users": list(DEMO_USERS),
            "accounts": [
                {
                    "id": account.id,
                    "external_user_id": account.external_user_id,
                    "app": account.app_slug,
                    "name": account.name,
                    "custom_fields": dict(account.custom_fields),
                }
                for account in DEMO_ACCOUNTS
            ],
        }


def seed_demo(connections: Connections) -> None:
    """Create the demo project, users and accounts (with their secrets) in ``connections``."""
    connections.workspace.create_project(DEMO_PROJECT_NAME, project_id=DEMO_PROJECT_ID)
    for user in DEMO_USERS:
        connections.workspace.ensure_user(DEMO_PROJECT_ID, user)
    for account in DEMO_ACCOUNTS:
        connections.add_account(
            DEMO_PROJECT_ID,
            account.external_user_id,
            account.app_slug,
            custom_fields=account.custom_fields,
            secrets=account.secrets,
            environment="development",
            name=account.name,
            allow_private_network=True,
            account_id=account.id,
        )


@contextlib.asynccontextmanager
async def open_demo() -> AsyncIterator[Demo]:
    """Start the sandbox and build a fresh demo workspace around it.

    Use as ``async with open_demo() as demo: await demo.engine.send(...)``. On exit the
    engine, the sandbox and the workspace are closed, and the temporary directory holding
    the workspace file is deleted.
    """
    async with contextlib.AsyncExitStack() as stack:
        sandbox = await stack.enter_async_context(SandboxServer())
        base_url = sandbox.base_url or ""
        directory = Path(tempfile.mkdtemp(prefix="workbench-demo-"))
        stack.callback(shutil.rmtree, directory, ignore_errors=True)
        workspace = stack.enter_context(Workspace.open(directory / "demo.sqlite3"))
        vault = open_vault(mode="memory")
        for account in DEMO_ACCOUNTS:  # the vault outlives nothing, but leave it empty
            stack.callback(vault.delete_credentials, account.id)
        catalog = Catalog.load_builtin().with_apps(sandbox_apps(sandbox.authority))
        connections = Connections(workspace, vault, catalog)
        seed_demo(connections)
        # The budget counts in the demo workspace's own file, as it does for any workspace.
        engine = await stack.enter_async_context(connections.engine())
        yield Demo(sandbox, base_url, workspace, vault, catalog, connections, engine)
