"""Workspace and vault in step: failures undo, crashes are reconciled, writers queue."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from workbench.core.accounts import CredentialsUnavailable
from workbench.core.catalog import Catalog
from workbench.core.store.connections import Connections
from workbench.core.store.faults import CRASH_ENV, ENOSPC_ENV
from workbench.core.store.reconcile import (
    DAMAGED_DETAIL,
    JOURNAL_KEY,
    MISSING_DETAIL,
    Journal,
)
from workbench.core.store.vault import (
    MemoryKeyring,
    Vault,
    VaultError,
    account_key,
    client_secret_key,
)
from workbench.core.store.vaultfile import EncryptedFileKeyring
from workbench.core.store.workspace import Workspace

PASSPHRASE = "correct horse"
SECRETS = {"oauth_access_token": "gho_CANARY_1234"}
CATALOG = Catalog.load_builtin()


class Keychain(MemoryKeyring):
    """A keychain like the OS ones: shared by all its users and unable to list entries."""

    usernames = None  # type: ignore[assignment]  # what the vault asks to list them

    def names(self) -> set[str]:
        return set(MemoryKeyring.usernames(self, "workbench"))


def file_vault(workspace_path: Path) -> Vault:
    secrets_file = workspace_path.with_suffix(".secrets")
    return Vault(backend=EncryptedFileKeyring(secrets_file, PASSPHRASE, scrypt_n=2**10))


def open_connections(path: Path, vault: Vault) -> Connections:
    return Connections(Workspace.open(path), vault, CATALOG)


@contextmanager
def opened(path: Path) -> Iterator[Connections]:
    """Connections over the workspace at ``path`` and its secrets file, closed after."""
    connections = open_connections(path, file_vault(path))
    try:
        yield connections
    finally:
        connections.workspace.close()


@pytest.fixture
def ws_path(tmp_path: Path) -> Path:
    return tmp_path / "ws.sqlite3"


@pytest.fixture
def connections(ws_path: Path) -> Iterator[Connections]:
    opened = open_connections(ws_path, file_vault(ws_path))
    yield opened
    opened.workspace.close()


def account_ids_in_vault(connections: Connections) -> set[str]:
    listed = connections.vault.account_ids()
    assert listed is not None
    return set(listed)


def test_the_journal_is_empty_after_every_successful_change(connections: Connections) -> None:
    project = connections.workspace.create_project("P").id
    kept = connections.add_account(project, "alice", "github", secrets=SECRETS)
    gone = connections.add_account(project, "alice", "github", secrets=SECRETS)
    connections.remove_account(gone.id)
    connections.add_account(project, "bob", "github", secrets=SECRETS)
    connections.remove_user(project, "bob")
    assert connections.vault.get(JOURNAL_KEY) is None
    assert account_ids_in_vault(connections) == {kept.id}


def test_a_failed_workspace_write_undoes_the_secrets(
    connections: Connections, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = connections.workspace.create_project("P").id
    monkeypatch.setenv(ENOSPC_ENV, "workspace.commit")
    with pytest.raises(Exception, match="No space left on device"):
        connections.add_account(project, "alice", "github", secrets=SECRETS)
    monkeypatch.delenv(ENOSPC_ENV)
    assert connections.workspace.list_accounts() == []
    assert account_ids_in_vault(connections) == set()
    assert connections.vault.get(JOURNAL_KEY) is not None  # until the next open
    assert connections.reconcile().orphans_removed == []
    assert connections.vault.get(JOURNAL_KEY) is None


def test_a_failed_secret_write_adds_nothing(
    connections: Connections, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = connections.workspace.create_project("P").id
    monkeypatch.setenv(ENOSPC_ENV, "vault-file.write")
    with pytest.raises(VaultError, match="could not save the vault's journal of unfinished"):
        connections.add_account(project, "alice", "github", secrets=SECRETS)
    with pytest.raises(VaultError, match="could not save the client secret of project"):
        connections.rotate_client_secret(project)
    assert connections.workspace.list_accounts() == []
    assert connections.workspace.list_users(project) == []


def test_secrets_that_fail_to_delete_are_reported_and_deleted_on_reconcile(
    connections: Connections, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = connections.workspace.create_project("P").id
    account = connections.add_account(project, "alice", "github", secrets=SECRETS)
    real_delete = Vault.delete

    def failing_delete(vault: Vault, key: str) -> bool:
        if key == account_key(account.id):
            raise VaultError("could not delete it: the keychain is locked")
        return real_delete(vault, key)

    monkeypatch.setattr(Vault, "delete", failing_delete)
    with pytest.raises(VaultError, match=f"account {account.id} was removed, but could not"):
        connections.remove_account(account.id)
    monkeypatch.setattr(Vault, "delete", real_delete)
    assert connections.find_account(account.id) is None
    assert account_ids_in_vault(connections) == {account.id}  # for now
    assert connections.reconcile().orphans_removed == [account.id]
    assert account_ids_in_vault(connections) == set()


def test_reconcile_marks_missing_and_damaged_secrets_and_heals_returned_ones(
    connections: Connections,
) -> None:
    project = connections.workspace.create_project("P").id
    lost = connections.add_account(project, "alice", "github", secrets=SECRETS)
    broken = connections.add_account(project, "alice", "github", secrets=SECRETS)
    fine = connections.add_account(project, "alice", "github", secrets=SECRETS)
    keyless = connections.add_account(project, "alice", "github", secrets=SECRETS)
    connections.vault.delete_credentials(lost.id)
    connections.vault.set(account_key(broken.id), "not json")
    connections.vault.set(account_key("apn_orphan"), json.dumps(SECRETS))
    Journal(connections.vault).add([broken.id])
    done = connections.reconcile()
    assert done.orphans_removed == ["apn_orphan"]
    assert sorted(done.marked_unhealthy) == sorted([lost.id, broken.id])
    ws = connections.workspace
    assert (ws.find_account(lost.id).healthy, ws.find_account(lost.id).health_detail) == (
        False,
        MISSING_DETAIL,
    )
    sick = ws.find_account(broken.id)
    assert sick.healthy is False
    assert sick.health_detail.startswith(DAMAGED_DETAIL.split("{")[0])
    assert "not a JSON object" in sick.health_detail
    assert SECRETS["oauth_access_token"] not in sick.health_detail
    assert ws.find_account(fine.id).healthy is None
    assert ws.find_account(keyless.id).healthy is None
    assert not connections.reconcile()  # nothing more to do
    connections.vault.set_credentials(lost.id, SECRETS)  # restored from a backup, say
    assert connections.reconcile().healed == [lost.id]
    assert ws.find_account(lost.id).healthy is None


def test_a_damaged_entry_fails_only_its_account_and_marks_it(connections: Connections) -> None:
    project = connections.workspace.create_project("P").id
    broken = connections.add_account(project, "alice", "github", secrets=SECRETS)
    fine = connections.add_account(project, "bob", "github", secrets=SECRETS)
    connections.vault.set(account_key(broken.id), "[1, 2]")
    with pytest.raises(CredentialsUnavailable, match=f"secrets of account {broken.id}"):
        connections.credentials(broken.id)
    assert connections.credentials(fine.id) == SECRETS
    marked = connections.find_account(broken.id)
    assert (marked.healthy, "damaged" in marked.health_detail) == (False, True)
    assert connections.find_account(fine.id).healthy is None
    client_id, secret = connections.project_credentials(project)
    assert connections.check_client_credentials(client_id, secret) is not None


def test_an_unreadable_client_secret_is_not_a_wrong_one(connections: Connections) -> None:
    project = connections.workspace.create_project("P")
    client_id, secret = connections.project_credentials(project.id)
    document = json.loads(connections.vault.backend.path.read_text())
    document["entries"]["workbench"][client_secret_key(project.id)] = "garbage"
    connections.vault.backend.path.write_text(json.dumps(document))
    with pytest.raises(CredentialsUnavailable, match="Client credentials cannot be checked"):
        connections.check_client_credentials(client_id, secret)


def test_in_a_keychain_only_journaled_orphans_are_found(tmp_path: Path) -> None:
    keychain = Keychain()
    connections = open_connections(tmp_path / "ws.sqlite3", Vault(backend=keychain))
    project = connections.workspace.create_project("P").id
    account = connections.add_account(project, "alice", "github", secrets=SECRETS)
    keychain.set_password("workbench", account_key("apn_journaled"), "{}")
    keychain.set_password("workbench", account_key("apn_unknown"), "{}")
    Journal(connections.vault).add(["apn_journaled"])
    assert connections.reconcile().orphans_removed == ["apn_journaled"]
    # A keychain cannot list its entries: an unjournaled stray stays (none is ever made).
    assert keychain.names() == {account_key(account.id), account_key("apn_unknown")}
    connections.workspace.close()


def test_writers_sharing_a_keychain_queue_on_the_workspace_lock(tmp_path: Path) -> None:
    keychain = Keychain()
    path = tmp_path / "ws.sqlite3"
    with Workspace.open(path) as ws:
        project = ws.create_project("P").id
    errors: list[BaseException] = []
    added: list[str] = []

    def writer(n: int) -> None:
        # Each thread opens its own workspace and lock file handle, as a process would.
        own = open_connections(path, Vault(backend=keychain))
        try:
            for m in range(10):
                added.append(own.add_account(project, f"user-{n}", "github", secrets=SECRETS).id)
                if m % 3 == 0:
                    own.remove_account(added[-1])
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.workspace.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with Workspace.open(path) as ws:
        stored = {a.id for a in ws.list_accounts()}
    assert len(stored) == 4 * 6
    assert keychain.names() == {account_key(i) for i in stored}  # no journal, no orphan


def test_two_writers_never_create_two_client_secrets(tmp_path: Path) -> None:
    keychain = Keychain()
    path = tmp_path / "ws.sqlite3"
    with Workspace.open(path) as ws:
        project = ws.create_project("P").id
    seen: list[str] = []

    def reader() -> None:
        own = open_connections(path, Vault(backend=keychain))
        try:
            seen.append(own.project_credentials(project)[1])
        finally:
            own.workspace.close()

    threads = [threading.Thread(target=reader) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(seen) == 6
    assert len(set(seen)) == 1  # everyone was shown the one secret that was kept


# The crash child: one operation on a workspace with its encrypted secrets file.
CHILD = """
import sys
from workbench.core.catalog import Catalog
from workbench.core.store.connections import Connections
from workbench.core.store.vault import Vault
from workbench.core.store.vaultfile import EncryptedFileKeyring
from workbench.core.store.workspace import Workspace

path, operation, project = sys.argv[1], sys.argv[2], sys.argv[3]
vault = Vault(backend=EncryptedFileKeyring(path.replace(".sqlite3", ".secrets"), "correct horse"))
connections = Connections(Workspace.open(path), vault, Catalog.load_builtin())
secrets = {"oauth_access_token": "gho_CANARY_1234"}
if operation == "add":
    connections.add_account(project, "carol", "github", secrets=secrets, account_id="apn_new")
elif operation == "remove":
    connections.remove_account("apn_a1")
elif operation == "remove-user":
    connections.remove_user(project, "alice")
elif operation == "rotate":
    connections.rotate_client_secret(project)
print("finished", flush=True)
"""

ALL = {"apn_a1", "apn_a2", "apn_b1"}
# (operation, crash point, the account ids there are once the next open has reconciled)
CRASHES = [
    ("add", "vault-file.replace", ALL),  # the journal entry is being written
    ("add", "add.secrets-stored", ALL),
    ("add", "workspace.commit", ALL),
    ("add", "add.committed", ALL | {"apn_new"}),
    ("remove", "workspace.commit", ALL),
    ("remove", "remove.committed", ALL - {"apn_a1"}),
    ("remove-user", "remove-user.committed", {"apn_b1"}),
    ("remove-user", "remove.secret-deleted", {"apn_b1"}),
    ("rotate", "vault-file.write", ALL),
    ("rotate", "vault-file.replace", ALL),
]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize(("operation", "point", "expected"), CRASHES)
def test_kill_9_at_every_step_is_reconciled_on_the_next_open(
    ws_path: Path, operation: str, point: str, expected: set[str]
) -> None:
    with opened(ws_path) as before:
        project = before.workspace.create_project("P").id
        for account_id, user in (("apn_a1", "alice"), ("apn_a2", "alice"), ("apn_b1", "bob")):
            before.add_account(project, user, "github", secrets=SECRETS, account_id=account_id)
        client_id, old_secret = before.project_credentials(project)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(ws_path), operation, project],
        env={**os.environ, CRASH_ENV: point},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    with opened(ws_path) as after:
        after.reconcile()
        stored = {a.id for a in after.workspace.list_accounts()}
        assert stored == expected
        assert account_ids_in_vault(after) == expected  # no orphan, nothing missing
        for account_id in expected:
            assert after.credentials(account_id) == SECRETS
            assert after.find_account(account_id).healthy is None
        assert after.vault.get(JOURNAL_KEY) is None
        # A rotation killed before its file was replaced never happened: the old one holds.
        assert after.check_client_credentials(client_id, old_secret) is not None
        assert not after.reconcile()


def test_concurrent_writer_processes_keep_every_account_with_its_secret(ws_path: Path) -> None:
    with opened(ws_path) as setup:
        project = setup.workspace.create_project("P").id
    script = CHILD.replace(
        'if operation == "add":',
        "for n in range(10):\n"
        '    connections.add_account(project, operation, "github", secrets=secrets)\n'
        "if False:",
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(ws_path), f"user-{n}", project],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    for child in children:
        out, err = child.communicate(timeout=120)
        assert (child.returncode, out.strip()) == (0, "finished"), err
    with opened(ws_path) as after:
        stored = {a.id for a in after.workspace.list_accounts()}
        assert len(stored) == 40
        assert account_ids_in_vault(after) == stored
        assert after.vault.get(JOURNAL_KEY) is None
        assert not after.reconcile()
