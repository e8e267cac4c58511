"""Running the REST app: ``LocalServer`` (start/stop inside any asyncio loop) and ``serve``."""

from __future__ import annotations

import asyncio
import ipaddress
import sys
from typing import TYPE_CHECKING, TextIO

from workbench.loopback import LoopbackServer, http_base_url
from workbench.server.app import ConnectApi, build_app
from workbench.server.auth import TokenStore
from workbench.server.guards import DEFAULT_MAX_BODY_BYTES
from workbench.server.limits import ConnectionLimits
from workbench.server.protocol import ConnectionGate, protocol_factory

if TYPE_CHECKING:
    from workbench.core.engine import ProxyEngine
    from workbench.core.store.connections import Connections


def _check_loopback(host: str) -> None:
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the REST server binds a loopback address only, not {host!r}")


class LocalServer(LoopbackServer):
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
        limits: what a connection may send or hold open (``server/limits.py``).
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
        limits: ConnectionLimits | None = None,
    ) -> None:
        _check_loopback(host)
        self.limits = limits or ConnectionLimits()
        protocol = protocol_factory(self.limits)
        self.gate: ConnectionGate = protocol.gate  # type: ignore[attr-defined]
        self.app: ConnectApi = build_app(
            connections=connections,
            engine=engine,
            port_getter=lambda: self.port,
            allow_credentials=allow_credentials,
            max_body_bytes=max_body_bytes,
            tokens=tokens,
        )
        super().__init__(
            self.app,
            host,
            port,
            name="REST server",
            shutdown_grace=5,
            uvicorn_options={
                "server_header": False,
                "date_header": False,
                # Our protocol enforces every limit of server/limits.py itself; uvicorn's
                # own keep-alive timer is set to the same value so that it never differs.
                "http": protocol,
                "timeout_keep_alive": self.limits.keep_alive_timeout,
                "ws": "none",
            },
        )

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (IPv6 hosts in brackets), also when not running."""
        return http_base_url(self.host, self.port)

    @property
    def tokens(self) -> TokenStore:
        """The access tokens this server issued (revoke them after rotating a secret)."""
        store: TokenStore = self.app.state.tokens
        return store


def banner(base_url: str, project_id: str, *, allow_credentials: bool = False) -> str:
    """What ``serve`` prints first: where the server is and how to call it."""
    secrets_line = (
        "include_credentials=true RETURNS account secrets (started with --allow-credentials)."
        if allow_credentials
        else "Account secrets are never returned: include_credentials=true gets 403 "
        "(start with --allow-credentials to allow it)."
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
