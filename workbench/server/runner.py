"""Running the REST app: ``LocalServer`` (start/stop inside any asyncio loop) and ``serve``."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import sys
from collections.abc import Generator
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

import uvicorn
from starlette.applications import Starlette

from workbench.server.app import build_app
from workbench.server.auth import TokenStore
from workbench.server.guards import DEFAULT_MAX_BODY_BYTES

if TYPE_CHECKING:
    from workbench.core.connections import Connections
    from workbench.core.engine import ProxyEngine

STARTUP_TIMEOUT = 10.0  # seconds


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its signal capture.

    ``uvicorn.Server.serve`` installs SIGINT/SIGTERM handlers when run in the main
    thread and re-raises the signal after shutdown; inside the GUI (or any host
    process) the host owns signals, and stopping is :meth:`LocalServer.stop`.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def _check_loopback(host: str) -> None:
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the REST server binds a loopback address only, not {host!r}")


class LocalServer:
    """The REST server on a loopback socket, started and stopped from a running loop.

    The socket is bound in :meth:`start` before uvicorn runs, so the port is known at
    once (``port=0`` picks a free one) and the Host check uses it. uvicorn runs with
    lifespan off, no access log, no logging reconfiguration and no Server/Date headers
    (a relayed upstream response keeps its own).

    Args:
        connections: accounts, users, client credentials and secrets.
        engine: the proxy engine (its catalog is the app list served).
        host: a loopback address (default ``127.0.0.1``); anything else is refused.
        port: the port to bind, 0 for a free one.
        allow_credentials: see :func:`build_app`.
        max_body_bytes: see :func:`build_app`.
        tokens: see :func:`build_app`.
    """

    def __init__(
        self,
        connections: Connections,
        engine: ProxyEngine,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        allow_credentials: bool = False,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        tokens: TokenStore | None = None,
    ) -> None:
        _check_loopback(host)
        self.host = host
        self._requested_port = port
        self._port = 0
        self.app: Starlette = build_app(
            connections=connections,
            engine=engine,
            port_getter=lambda: self._port,
            allow_credentials=allow_credentials,
            max_body_bytes=max_body_bytes,
            tokens=tokens,
        )
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The bound port (0 before :meth:`start`)."""
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (IPv6 hosts in brackets)."""
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self._port}"

    @property
    def tokens(self) -> TokenStore:
        """The access tokens this server issued (revoke them after rotating a secret)."""
        store: TokenStore = self.app.state.tokens
        return store

    @property
    def running(self) -> bool:
        """True between a successful :meth:`start` and :meth:`stop`."""
        return self._task is not None and not self._task.done()

    async def start(self) -> str:
        """Bind, start serving, and return the base URL once connections are accepted.

        Raises:
            RuntimeError: already running, or uvicorn failed to start.
            OSError: the port is taken.
        """
        if self._task is not None:
            raise RuntimeError("the server is already running")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets of
        # a listener created with it, and without it every small response waits ~40 ms
        # (Nagle's algorithm against the client's delayed ACK).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            if sys.platform != "win32":  # restart on the same port despite TIME_WAIT
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self._requested_port))
        except OSError:
            sock.close()
            raise
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            lifespan="off",
            access_log=False,
            log_config=None,
            log_level="warning",
            server_header=False,
            date_header=False,
            timeout_graceful_shutdown=5,
        )
        server = _EmbeddedServer(config)
        task = asyncio.create_task(server.serve(sockets=[sock]), name="workbench-rest-server")
        self._server, self._task = server, task
        try:
            async with asyncio.timeout(STARTUP_TIMEOUT):
                while not server.started:
                    if task.done():
                        break
                    await asyncio.sleep(0.005)
        except TimeoutError:
            await self.stop()
            raise RuntimeError("the REST server did not start in time") from None
        if not server.started:
            await self.stop()
            raise RuntimeError("the REST server failed to start")
        return self.base_url

    async def stop(self) -> None:
        """Stop accepting, finish open requests (up to 5 s), and release the port."""
        server, task = self._server, self._task
        self._server = self._task = None
        if server is None or task is None:
            return
        server.should_exit = True
        with contextlib.suppress(Exception, SystemExit):
            await task

    async def __aenter__(self) -> LocalServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()


def banner(base_url: str, project_id: str, *, allow_credentials: bool = False) -> str:
    """What ``serve`` prints first: where the server is and how to call it."""
    secrets_line = (
        "include_credentials=true RETURNS account secrets (allowed at start-up)."
        if allow_credentials
        else "Account secrets are never returned (include_credentials=true gets 403)."
    )
    return f"""\
Connect-compatible REST server listening on {base_url} (loopback only)
Project: {project_id}
Client credentials: workbench projects credentials {project_id}
{secrets_line}

Python (pip install "pipedream>=2.3,<3"):
    from pipedream import Pipedream
    pd = Pipedream(base_url="{base_url}", project_id="{project_id}",
                   client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                   project_environment="development")
    pd.proxy.get("/v1/me", external_user_id=USER, account_id=ACCOUNT)

Node (npm install @pipedream/sdk@3):
    new PipedreamClient({{ baseUrl: "{base_url}", projectId: "{project_id}",
                          clientId, clientSecret, projectEnvironment: "development" }})

Or set PIPEDREAM_BASE_URL={base_url} for either SDK. Press Ctrl+C to stop.
"""


async def serve(
    connections: Connections,
    engine: ProxyEngine,
    *,
    port: int = 0,
    project_id: str,
    out: TextIO = sys.stdout,
    allow_credentials: bool = False,
) -> None:
    """Run the REST server until cancelled (Ctrl+C under ``asyncio.run`` cancels it).

    Prints :func:`banner` to ``out`` once the server accepts connections.

    Raises:
        OSError: the port is taken.
    """
    async with LocalServer(
        connections, engine, port=port, allow_credentials=allow_credentials
    ) as server:
        out.write(banner(server.base_url, project_id, allow_credentials=allow_credentials))
        out.flush()
        await asyncio.Event().wait()
