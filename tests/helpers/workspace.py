"""Builders and fixtures for tests that need a workspace, a vault or ``Connections``.

Builders are plain functions any test can call. The fixtures at the bottom wrap them; a
test module (or ``tests/conftest.py`` via ``pytest_plugins``) makes them available.
Every vault built here is in memory: no test touches a real keychain.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from workbench.core.catalog import Catalog
from workbench.core.store.connections import Connections
from workbench.core.store.vault import MEMORY_REASON, MemoryKeyring, Vault
from workbench.core.store.workspace import Project, Workspace


def use_memory_keyring() -> MemoryKeyring:
    """Make a fresh, empty in-memory backend keyring's active one, and return it."""
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


def memory_vault(backend: MemoryKeyring | None = None) -> Vault:
    """A vault over ``backend`` (a new in-memory one by default)."""
    return Vault(backend=backend or MemoryKeyring(), reason=MEMORY_REASON)


def open_workspace(directory: Path, name: str = "workspace.sqlite3") -> Workspace:
    """A new workspace file in ``directory`` (a test's ``tmp_path``)."""
    return Workspace.open(directory / name)


def make_connections(
    directory: Path, *, vault: Vault | None = None, catalog: Catalog | None = None
) -> Connections:
    """``Connections`` over a new workspace in ``directory``, a memory vault and a catalog.

    The catalog defaults to the builtin one.
    """
    return Connections(
        open_workspace(directory),
        vault or memory_vault(),
        catalog if catalog is not None else Catalog.load_builtin(),
    )


def make_project(connections: Connections, name: str = "Test project") -> Project:
    """Create a project in the connections' workspace."""
    return connections.workspace.create_project(name)


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    """The active keyring backend for this test: fresh, empty, in memory."""
    return use_memory_keyring()


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    """A new workspace file, closed after the test."""
    with open_workspace(tmp_path) as opened:
        yield opened


@pytest.fixture
def vault(memory_keyring: MemoryKeyring) -> Vault:
    """A vault over this test's active in-memory keyring backend."""
    return memory_vault(memory_keyring)


@pytest.fixture
def connections(tmp_path: Path, vault: Vault) -> Iterator[Connections]:
    """``Connections`` over a new workspace, this test's vault and the builtin catalog."""
    built = make_connections(tmp_path, vault=vault)
    yield built
    built.workspace.close()


@pytest.fixture
def project(connections: Connections) -> Project:
    """A project in the ``connections`` workspace."""
    return make_project(connections)
