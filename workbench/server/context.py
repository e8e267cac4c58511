"""What every route handler works with: passed in, never global (the GUI may run two)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from workbench.core.catalog import App, Catalog
from workbench.server.auth import TokenStore

if TYPE_CHECKING:
    from workbench.core.engine import ProxyEngine
    from workbench.core.store.connections import Connections


@dataclass(frozen=True)
class ServerContext:
    """The server's collaborators.

    Attributes:
        connections: accounts, users, project client credentials and account secrets.
        engine: sends proxied requests; its ``catalog`` is the app list served (read on
            every request, so imports and the sandbox apps show up at once).
        tokens: the access tokens issued by ``POST /v1/oauth/token``.
        allow_credentials: whether ``include_credentials=true`` may return secrets.
    """

    connections: Connections
    engine: ProxyEngine
    tokens: TokenStore
    allow_credentials: bool = False

    @property
    def catalog(self) -> Catalog:
        """The engine's current catalog (the engine accepts any lookup; ours is a Catalog)."""
        return cast(Catalog, self.engine.catalog)

    def find_app(self, slug_or_id: str) -> App | None:
        """The app with this slug or ``app_`` id in the engine's current catalog."""
        return self.catalog.get(slug_or_id)
