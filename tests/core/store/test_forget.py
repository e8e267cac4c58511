"""Forgetting a workspace's secrets before an uninstall: all of its own, none of another's."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.workspace import make_connections, memory_vault
from workbench.core.store.connections import Connections
from workbench.core.store.reconcile import JOURNAL_KEY, Journal
from workbench.core.store.vault import MemoryKeyring, account_key, client_secret_key

SERVICE = "workbench"


def populated(directory: Path, backend: MemoryKeyring) -> tuple[Connections, list[str]]:
    """A workspace with two projects, three accounts and a client secret, in ``backend``."""
    directory.mkdir()
    connections = make_connections(directory, vault=memory_vault(backend))
    first = connections.workspace.create_project("One")
    second = connections.workspace.create_project("Two")
    accounts = [
        connections.add_account(first.id, "alice", "stripe", secrets={"api_key": "sk_a"}),
        connections.add_account(first.id, "bob", "github", secrets={"oauth_access_token": "b"}),
        connections.add_account(
            second.id, "carol", "stripe", secrets={"api_key": "sk_c"}, environment="production"
        ),
    ]
    connections.project_credentials(first.id)  # creates the client secret
    keys = [account_key(account.id) for account in accounts] + [client_secret_key(first.id)]
    return connections, keys


def test_every_secret_of_the_workspace_goes_and_another_workspaces_stay(tmp_path: Path) -> None:
    backend = MemoryKeyring()  # one keychain, one service name, two workspaces
    mine, my_keys = populated(tmp_path / "mine", backend)
    theirs, their_keys = populated(tmp_path / "theirs", backend)
    Journal(mine.vault).add(["apn_pendingOfTheirs"])  # another workspace's unfinished change

    assert sorted(mine.forget_secrets()) == sorted(my_keys)

    assert backend.usernames(SERVICE) == sorted([*their_keys, JOURNAL_KEY])
    assert Journal(theirs.vault).ids() == {"apn_pendingOfTheirs"}
    # the rows stay: the accounts are still listed, now without secrets
    assert len(mine.workspace.list_accounts()) == 3
    assert all(not mine.vault.credentials(a.id) for a in mine.workspace.list_accounts())
    assert mine.forget_secrets() == []  # again: nothing left, nothing fails
    for connections in (mine, theirs):
        connections.workspace.close()
