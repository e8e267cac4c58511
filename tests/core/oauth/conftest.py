"""Fixtures for the OAuth tests: the local authorization server and a workspace that knows it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.core.conftest import FakeClock
from tests.helpers.oauthserver import CLIENT_ID, CLIENT_SECRET, OAuthServer, oauth_server
from tests.helpers.workspace import make_connections, memory_vault
from workbench.core.accounts import Account
from workbench.core.catalog import App, Catalog, parse_app
from workbench.core.engine import ProxyEngine
from workbench.core.exchange import ProxyRequest
from workbench.core.oauth.client import ClientCredentials
from workbench.core.oauth.flow import AuthorizationFlow, Authorized
from workbench.core.oauth.refresh import TokenRefresher
from workbench.core.store.connections import Connections

USER = "alice@example.com"
CLIENT = ClientCredentials(CLIENT_ID, CLIENT_SECRET)


async def browse(url: str) -> httpx.Response:
    """The browser step: follow the authorize URL and its redirect to the loopback listener."""
    async with httpx.AsyncClient(trust_env=False, follow_redirects=True) as browser:
        return await browser.get(url)


@dataclass
class World:
    """A workspace with the local OAuth app, its server and an engine with a refresher."""

    server: OAuthServer
    app: App
    connections: Connections
    project_id: str
    clock: FakeClock

    def refresher(self) -> TokenRefresher:
        return TokenRefresher(self.connections, clock=self.clock)

    def engine(self, refresher: TokenRefresher | None = None) -> ProxyEngine:
        return ProxyEngine(
            self.connections.catalog,
            self.connections,
            self.connections,
            tokens=refresher or self.refresher(),
        )

    async def sign_in(self, **options: object) -> Authorized:
        async with await AuthorizationFlow.start(
            self.app,
            CLIENT,
            allow_private_network=True,
            clock=self.clock,
            **options,  # type: ignore[arg-type]
        ) as flow:
            page = await browse(flow.authorize_url)
            assert page.status_code == 200, page.text
            return await flow.finish()

    async def connect(self) -> Account:
        authorized = await self.sign_in()
        return self.connections.add_oauth_account(
            self.project_id, USER, self.app.name_slug, authorized, allow_private_network=True
        )

    def request(self, account: Account, path: str = "/api/me") -> ProxyRequest:
        return ProxyRequest(self.project_id, USER, account.id, "GET", path)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def server() -> Iterator[OAuthServer]:
    with oauth_server() as running:
        yield running


@pytest.fixture
async def world(tmp_path: Path, server: OAuthServer) -> AsyncIterator[World]:
    app = parse_app(server.app_dict(), origin="imported")
    catalog = Catalog.load_builtin().with_apps([app])
    connections = make_connections(tmp_path, vault=memory_vault(), catalog=catalog)
    project = connections.workspace.create_project("OAuth tests")
    connections.remember_oauth_client(
        app.name_slug, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    )
    yield World(server, app, connections, project.id, FakeClock(1_800_000_000.0))
    connections.workspace.close()
