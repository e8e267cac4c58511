"""LocalServer inside a running loop (as the GUI will use it) and the ``serve`` entry point."""

from __future__ import annotations

import asyncio
import io
import signal
import socket
from pathlib import Path

import httpx
import pytest

from tests.helpers.workspace import make_connections
from workbench.core.catalog import Catalog
from workbench.core.engine import ProxyEngine
from workbench.core.store.connections import Connections
from workbench.server.runner import LocalServer, serve


@pytest.fixture
def connections(tmp_path: Path) -> Connections:
    built = make_connections(tmp_path, catalog=Catalog([]))
    yield built
    built.workspace.close()


async def _token_status(base_url: str, connections: Connections, project_id: str) -> int:
    client_id, secret = connections.project_credentials(project_id)
    async with httpx.AsyncClient(base_url=base_url, trust_env=False) as client:
        response = await client.post(
            "/v1/oauth/token",
            json={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        )
    return response.status_code


def test_start_stop_restart_in_a_running_loop(connections: Connections):
    project = connections.workspace.create_project("Runner")

    async def scenario() -> None:
        handler_before = signal.getsignal(signal.SIGINT)  # asyncio.run's own handler
        async with ProxyEngine(connections.catalog, connections, connections) as engine:
            server = LocalServer(connections, engine)
            base_url = await server.start()
            assert base_url == f"http://127.0.0.1:{server.port}"
            assert server.running
            # The host process keeps its own signal handling (uvicorn's is disabled).
            assert signal.getsignal(signal.SIGINT) is handler_before
            assert await _token_status(base_url, connections, project.id) == 200
            port = server.port
            await server.stop()
            assert not server.running
            with pytest.raises(httpx.ConnectError):
                await _token_status(base_url, connections, project.id)
            again = LocalServer(connections, engine, port=port)
            async with again:
                assert again.port == port
                assert await _token_status(again.base_url, connections, project.id) == 200
            await server.stop()  # stopping twice is harmless
        assert signal.getsignal(signal.SIGINT) is handler_before

    asyncio.run(scenario())


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])
def test_only_loopback_addresses_can_be_bound(connections: Connections, host: str):
    with pytest.raises(ValueError, match="loopback"):
        LocalServer(connections, None, host=host)  # type: ignore[arg-type]


def test_port_in_use_is_an_os_error(connections: Connections):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()

        async def scenario() -> None:
            server = LocalServer(connections, None, port=taken.getsockname()[1])  # type: ignore[arg-type]
            with pytest.raises(OSError, match="in use"):
                await server.start()
            assert not server.running

        asyncio.run(scenario())


class _Output(io.StringIO):
    """Captures what ``serve`` prints and signals the first write."""

    def __init__(self) -> None:
        super().__init__()
        self.written = asyncio.Event()

    def write(self, text: str) -> int:
        self.written.set()
        return super().write(text)


def test_serve_prints_the_banner_and_stops_when_cancelled(connections: Connections):
    project = connections.workspace.create_project("Serve")

    async def scenario() -> tuple[str, str]:
        out = _Output()
        async with ProxyEngine(connections.catalog, connections, connections) as engine:
            task = asyncio.create_task(serve(connections, engine, project_id=project.id, out=out))
            async with asyncio.timeout(10):
                await out.written.wait()
            base_url = out.getvalue().split("listening on ", 1)[1].split()[0]
            assert await _token_status(base_url, connections, project.id) == 200
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            with pytest.raises(httpx.ConnectError):
                await _token_status(base_url, connections, project.id)
            return base_url, out.getvalue()

    base_url, text = asyncio.run(scenario())
    assert base_url.startswith("http://127.0.0.1:")
    assert project.id in text
    assert f"workbench projects credentials {project.id}" in text
    assert "Pipedream(base_url=" in text
    assert "PIPEDREAM_BASE_URL" in text
    assert "403" in text  # says include_credentials is refused
