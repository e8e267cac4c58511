"""Issued tokens live in the workspace, by digest: shared by servers, revoked by rotation."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.rest import request_token, users_status
from tests.server.conftest import Stack
from workbench.core.catalog import Catalog
from workbench.core.engine import ProxyEngine
from workbench.core.store.connections import Connections
from workbench.core.store.workspace import Workspace
from workbench.server.auth import TokenStore, grant_token
from workbench.server.errors import ApiError
from workbench.server.runner import LocalServer


@dataclass
class Twin:
    """A second server over the same workspace file, as another process would open it."""

    connections: Connections
    server: LocalServer


@pytest.fixture
def twin(stack_factory: Callable[..., Stack]) -> Iterator[tuple[Stack, Twin]]:
    stack: Stack = stack_factory()
    path = stack.connections.workspace.path
    connections = Connections(
        Workspace.open(path), stack.connections.vault, stack.connections.catalog
    )

    async def start() -> LocalServer:
        engine = ProxyEngine(
            Catalog([]), connections, connections, budget=connections.workspace.budget
        )
        server = LocalServer(connections, engine)
        await server.start()
        return server

    server = stack.thread.run(start())
    yield stack, Twin(connections, server)
    stack.thread.run(server.stop())
    connections.workspace.close()


def test_a_token_is_recorded_by_digest_only(stack: Stack) -> None:
    token = request_token(stack.base_url, stack.client_id, stack.client_secret).json()[
        "access_token"
    ]
    path = stack.connections.workspace.path
    stored = b"".join(
        p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists()
    )
    assert token.encode() not in stored
    with sqlite3.connect(path) as conn:
        digests = [row[0] for row in conn.execute("SELECT digest FROM server_tokens")]
    assert hashlib.sha256(token.encode()).digest() in digests


def test_every_server_on_the_workspace_accepts_its_tokens(twin: tuple[Stack, Twin]) -> None:
    stack, other = twin
    token = request_token(stack.base_url, stack.client_id, stack.client_secret).json()[
        "access_token"
    ]
    assert users_status(other.server.base_url, stack.project_id, token) == 200


def test_rotation_elsewhere_revokes_the_tokens_of_every_server(twin: tuple[Stack, Twin]) -> None:
    stack, other = twin
    old = request_token(stack.base_url, stack.client_id, stack.client_secret).json()["access_token"]
    assert users_status(stack.base_url, stack.project_id, old) == 200

    new_secret = other.connections.rotate_client_secret(stack.project_id)

    assert users_status(stack.base_url, stack.project_id, old) == 401
    assert users_status(other.server.base_url, stack.project_id, old) == 401
    assert request_token(stack.base_url, stack.client_id, stack.client_secret).status_code == 401
    fresh = request_token(stack.base_url, stack.client_id, new_secret).json()["access_token"]
    assert users_status(stack.base_url, stack.project_id, fresh) == 200


class _Project:
    id = "proj_a"


class RotatedMeanwhile:
    """Accepts the credentials once, then no more: a rotation between check and record."""

    def __init__(self) -> None:
        self.calls = 0

    def check_client_credentials(self, client_id: str, client_secret: str) -> _Project | None:
        self.calls += 1
        return _Project() if self.calls == 1 else None


def test_a_token_granted_on_a_secret_rotated_meanwhile_is_discarded() -> None:
    tokens = TokenStore()
    fields = {"grant_type": "client_credentials", "client_id": "c", "client_secret": "s"}
    with pytest.raises(ApiError) as caught:
        grant_token(fields, RotatedMeanwhile(), tokens)
    assert caught.value.status == 401
    assert tokens.revoke_project("proj_a") == 0  # nothing usable was left behind


def test_expired_tokens_are_forgotten_when_new_ones_are_issued(tmp_path: Path) -> None:
    now = [1000.0]
    with Workspace.open(tmp_path / "ws.sqlite3") as workspace:
        project = workspace.create_project("P")
        store = TokenStore(workspace.tokens, lifetime=60, clock=lambda: now[0])
        first = store.issue(project.id).access_token
        now[0] += 60
        assert store.project_for(first) is None
        second = store.issue(project.id).access_token
        assert store.revoke_project(project.id) == 1  # only the live one was still recorded
        assert store.project_for(second) is None
