"""A real REST server stack for the SDK tests: echo upstream, workspace, engine, server.

The server, the engine and the upstream run in one event loop in a background thread,
so the synchronous Pipedream SDK in the test thread talks to them over real sockets.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from pipedream import Pipedream

from tests.helpers.workspace import memory_vault
from workbench.core.accounts import Account
from workbench.core.catalog import App, Catalog, parse_app
from workbench.core.engine import ProxyEngine
from workbench.core.ratelimit import RateBudget
from workbench.core.store.connections import Connections
from workbench.core.store.vault import Vault
from workbench.core.store.workspace import Workspace
from workbench.sandbox.server import SandboxServer
from workbench.server.runner import LocalServer

T = TypeVar("T")

BEARER_SECRET = "sk_test_CANARY_7f3e9d2c1b"


async def echo_upstream(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A raw ASGI upstream answering JSON of exactly what arrived (headers in order)."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    path = scope["path"]
    if path.startswith("/sleep/"):  # a slow upstream: keeps a request busy in the server
        await asyncio.sleep(float(path.rsplit("/", 1)[1]))
    if path.startswith("/status/"):
        status = int(path.rsplit("/", 1)[1])
        payload = b"" if status == 204 else json.dumps({"status": status}).encode()
        headers = [] if status == 204 else [(b"content-type", b"application/json")]
    elif path == "/text":
        status, payload, headers = 200, b"plain words", [(b"content-type", b"text/plain")]
    else:
        status = 200
        payload = json.dumps(
            {
                "method": scope["method"],
                "path": path,
                "query": scope["query_string"].decode("latin-1"),
                "headers": [
                    [k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]
                ],
                "body": body.decode("utf-8", "replace"),
            }
        ).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"x-upstream", b"echo"),
            (b"set-cookie", b"a=1"),
            (b"set-cookie", b"b=2"),
        ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def echo_apps(authority: str) -> list[App]:
    """Apps whose allowed domain is the echo upstream: a static and a per-tenant base."""
    base = f"http://{authority}"
    common = {"auth_type": "keys", "credentials": [{"name": "api_key", "label": "API key"}]}
    return [
        parse_app(
            {
                **common,
                "name_slug": "echo_bearer",
                "name": "Echo (bearer)",
                "connect": {
                    "proxy_enabled": True,
                    "allowed_domains": [authority],
                    "base_proxy_target_url": base,
                },
                "injection": [
                    {
                        "in": "header",
                        "name": "Authorization",
                        "template": "Bearer {{credentials.api_key}}",
                    }
                ],
            },
            origin="sandbox",
        ),
        parse_app(
            {
                **common,
                "name_slug": "echo_tenant",
                "name": "Echo (tenant)",
                "connect": {
                    "proxy_enabled": True,
                    "allowed_domains": [authority],
                    "base_proxy_target_url": base + "/tenants/{{custom_fields.tenant}}",
                },
                "custom_fields": [{"name": "tenant", "label": "Tenant", "kind": "label"}],
                "injection": [
                    {"in": "header", "name": "X-Api-Key", "template": "{{credentials.api_key}}"}
                ],
            },
            origin="sandbox",
        ),
    ]


def filler_apps(count: int = 23) -> list[App]:
    """Apps that only populate the catalog (pagination, sorting, search)."""
    return [
        parse_app(
            {
                "name_slug": f"filler_{n:02d}",
                "name": f"Filler {chr(ord('Z') - n)} {n:02d}",
                "auth_type": "none",
                "categories": ["CRM"] if n % 3 == 0 else ["Storage"],
                "featured_weight": float(n % 5),
                "connect": {
                    "proxy_enabled": n % 4 != 0,
                    "allowed_domains": [f"filler{n}.example.com"],
                    "base_proxy_target_url": f"https://filler{n}.example.com",
                },
            }
        )
        for n in range(count)
    ]


class LoopThread:
    """An event loop running in a daemon thread; ``run`` executes a coroutine on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run ``coro`` on the loop and wait for its result."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def close(self) -> None:
        """Stop the loop and join the thread."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


@dataclass
class Stack:
    """Everything a server test needs, started."""

    thread: LoopThread
    connections: Connections
    engine: ProxyEngine
    server: LocalServer
    upstream: SandboxServer
    project_id: str
    client_id: str
    client_secret: str
    sdk_clients: list[httpx.Client] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        """The REST server's base URL."""
        return self.server.base_url

    @property
    def authority(self) -> str:
        """The echo upstream's ``host:port``."""
        return self.upstream.authority

    def sdk(self, *, environment: str = "development", **options: Any) -> Pipedream:
        """A Pipedream client pointed at this server with the project's credentials.

        Its httpx client is closed when the stack stops (the SDK never closes its own).
        """
        http = httpx.Client(trust_env=False, timeout=30)
        self.sdk_clients.append(http)
        settings: dict[str, Any] = {
            "base_url": self.base_url,
            "project_id": self.project_id,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "project_environment": environment,
            "max_retries": 0,
            "httpx_client": http,
        }
        settings.update(options)
        return Pipedream(**settings)

    def add_account(
        self,
        external_user_id: str,
        *,
        app: str = "echo_bearer",
        environment: str = "development",
        secret: str = BEARER_SECRET,
        custom_fields: dict[str, str] | None = None,
    ) -> Account:
        """Connect an account (private network allowed: the upstream is on 127.0.0.1)."""
        return self.connections.add_account(
            self.project_id,
            external_user_id,
            app,
            custom_fields=custom_fields,
            secrets={"api_key": secret},
            environment=environment,
            allow_private_network=True,
        )


def start_stack(
    directory: Path,
    *,
    budget: RateBudget | None = None,
    vault: Vault | None = None,
    **server_options: Any,
) -> Stack:
    """Start upstream, engine and REST server in a loop thread over a new workspace.

    The vault is a fresh in-memory one unless ``vault`` is given.
    """
    thread = LoopThread()
    upstream = SandboxServer(app=echo_upstream)
    thread.run(upstream.start())
    catalog = Catalog(filler_apps() + echo_apps(upstream.authority))
    connections = Connections(
        Workspace.open(directory / "workspace.sqlite3"), vault or memory_vault(), catalog
    )
    project = connections.workspace.create_project("Server tests")
    client_id, client_secret = connections.project_credentials(project.id)

    async def start() -> tuple[ProxyEngine, LocalServer]:
        shared = budget if budget is not None else connections.workspace.budget
        engine = ProxyEngine(catalog, connections, connections, budget=shared)
        server = LocalServer(connections, engine, **server_options)
        await server.start()
        return engine, server

    engine, server = thread.run(start())
    return Stack(
        thread, connections, engine, server, upstream, project.id, client_id, client_secret
    )


def stop_stack(stack: Stack) -> None:
    """Stop everything :func:`start_stack` started."""

    async def stop() -> None:
        await stack.server.stop()
        await stack.engine.aclose()
        await stack.upstream.stop()

    for client in stack.sdk_clients:
        client.close()
    stack.thread.run(stop())
    stack.thread.close()
    stack.connections.workspace.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One shared stack per test module (tests use their own users and accounts)."""
    started = start_stack(tmp_path_factory.mktemp("server"))
    yield started
    stop_stack(started)


@pytest.fixture
def stack_factory(tmp_path: Path) -> Iterator[Callable[..., Stack]]:
    """Start stacks with custom options (budget, credentials, body cap); stopped after."""
    started: list[Stack] = []

    def factory(**options: Any) -> Stack:
        new = start_stack(tmp_path / f"s{len(started)}", **options)
        started.append(new)
        return new

    yield factory
    for item in started:
        stop_stack(item)
