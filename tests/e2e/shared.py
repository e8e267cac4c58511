"""A workspace that several real ``workbench`` processes open at once, and their servers.

The workspace has one project, one app pointing at a sandbox upstream the test runs,
and one account whose secret is in the workspace's encrypted secrets file (so every
process can read it). Servers are ``workbench serve --json`` subprocesses.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.helpers.cli import RunningCli, bearer_app_dict, file_vault, prepare_secrets_file
from tests.helpers.rest import request_token
from workbench.core.catalog import Catalog, parse_app
from workbench.core.store.connections import Connections
from workbench.core.store.workspace import Workspace

SECRET = "sk_shared_CANARY_51c3e0a9"
USER = "qa@example.com"


def app_dict(authority: str) -> dict[str, object]:
    """An app (our schema) whose only allowed domain is the sandbox upstream."""
    return bearer_app_dict(authority, slug="local_echo", name="Local echo (test)")


@dataclass
class SharedWorkspace:
    """What the processes share, and how to reach it."""

    path: Path
    env: dict[str, str]
    project_id: str
    account_id: str
    client_id: str
    client_secret: str

    @property
    def common(self) -> tuple[str, ...]:
        """The options every process on it takes."""
        return ("--workspace", str(self.path), "--secrets", "file")


def make_shared_workspace(directory: Path, authority: str) -> SharedWorkspace:
    """Create the workspace, its secrets file, the project, the app and the account."""
    path = directory / "shared.sqlite3"
    env = prepare_secrets_file(path)
    with Workspace.open(path) as workspace:
        project = workspace.create_project("Shared")
        workspace.save_app(app_dict(authority))
        catalog = Catalog([parse_app(app_dict(authority), origin="imported")])
        connections = Connections(workspace, file_vault(path), catalog)
        account = connections.add_account(
            project.id,
            USER,
            "local_echo",
            secrets={"api_token": SECRET},
            allow_private_network=True,
        )
        client_id, client_secret = connections.project_credentials(project.id)
    return SharedWorkspace(path, env, project.id, account.id, client_id, client_secret)


@dataclass
class Server:
    """One ``workbench serve`` process and a bearer token it issued."""

    cli: RunningCli
    base_url: str
    token: str = ""
    info: dict[str, object] = field(default_factory=dict)

    def proxy_path(self, workspace: SharedWorkspace, path: str) -> str:
        """The proxy route for ``path`` on the upstream, as the SDKs build it."""
        url64 = base64.urlsafe_b64encode(path.encode()).decode().rstrip("=")
        return f"{self.base_url}/v1/connect/{workspace.project_id}/proxy/{url64}"


@contextmanager
def servers(
    workspace: SharedWorkspace, count: int, *args: str, env: Mapping[str, str] | None = None
) -> Iterator[list[Server]]:
    """``count`` ``workbench serve --json`` processes on the workspace, started together.

    Each has a bearer token already; every process is killed on exit, whatever happened.
    """
    with ExitStack() as stack:
        clis = [
            stack.enter_context(
                RunningCli(
                    "serve",
                    *workspace.common,
                    "--json",
                    *args,
                    env={**workspace.env, **(env or {})},
                )
            )
            for _ in range(count)
        ]
        started = []
        for cli in clis:
            info = json.loads(cli.read_until("\n}\n"))["server"]
            server = Server(cli, info["base_url"], info=info)
            server.token = fetch_token(
                server.base_url, workspace.client_id, workspace.client_secret
            )
            started.append(server)
        yield started


def fetch_token(base_url: str, client_id: str, client_secret: str) -> str:
    """A bearer token from the client-credentials grant (fails on anything but 200)."""
    response = request_token(base_url, client_id, client_secret)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@dataclass(frozen=True)
class Outcome:
    """One proxied request as the test saw it: when it left, when its answer came."""

    status: int | None  # None: no answer (the server died)
    retry_after: int | None
    code: str | None  # the engine's own error code (x-workbench-error), if any
    sent: float
    received: float
    server: int


def proxy_requests(
    workspace: SharedWorkspace, server: Server, number: int, count: int
) -> Iterator[Outcome]:
    """Send up to ``count`` proxied GETs one after another, yielding each outcome."""
    headers = {"authorization": f"Bearer {server.token}", "x-pd-environment": "development"}
    query = {"external_user_id": USER, "account_id": workspace.account_id}
    with httpx.Client(trust_env=False, timeout=30) as client:
        for n in range(count):
            sent = time.time()
            try:
                response = client.get(
                    server.proxy_path(workspace, f"/echo/{number}/{n}"),
                    params=query,
                    headers=headers,
                )
            except httpx.TransportError:
                yield Outcome(None, None, None, sent, time.time(), number)
                return
            retry = response.headers.get("retry-after")
            code = response.headers.get("x-workbench-error")
            yield Outcome(
                response.status_code, int(retry) if retry else None, code, sent, time.time(), number
            )
