"""The CLI under faults: a full disk, a damaged secrets file or entry, concurrent writers, kill -9.

No false success: a command whose secret was not saved fails with one line saying what
failed and leaves nothing half done; after a crash, the next command that opens the vault
brings workspace and vault back in step.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers.cli import (
    cli_env,
    file_vault,
    prepare_secrets_file,
    run_cli,
    write_app_file,
)
from tests.helpers.disk import SmallDisk
from workbench.core.catalog import Catalog, parse_app
from workbench.core.store.connections import Connections
from workbench.core.store.faults import CRASH_ENV
from workbench.core.store.vault import account_key
from workbench.core.store.workspace import Workspace
from workbench.sandbox.server import SandboxThread

CANARY = "gho_CANARY_5e4d3c2b1a"
GITHUB = ("--app", "github", "--secret", f"oauth_access_token={CANARY}")


class Session:
    """One workspace with an encrypted secrets file, driven through ``workbench``."""

    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace
        self.env = prepare_secrets_file(workspace)
        self.common = ("--workspace", str(workspace), "--secrets", "file", "--json")

    def run(self, *args: str, **extra_env: str):
        return run_cli(*args, *self.common, env={**self.env, **extra_env})

    def ok(self, *args: str):
        result = self.run(*args)
        assert result.code == 0, result
        return result.json()

    def vault_account_ids(self) -> set[str]:
        ids = file_vault(self.workspace).account_ids()
        assert ids is not None
        return set(ids)

    def account_ids(self) -> set[str]:
        with Workspace.open(self.workspace) as ws:
            return {account.id for account in ws.list_accounts()}

    @contextmanager
    def direct(self, *apps: dict) -> Iterator[Connections]:
        """The same workspace and secrets file opened in this process (quick set-up)."""
        with Workspace.open(self.workspace) as ws:
            for app in apps:
                ws.save_app(app)
            catalog = Catalog.load_builtin().with_apps([parse_app(app) for app in apps])
            yield Connections(ws, file_vault(self.workspace), catalog)

    def setup(self, users: tuple[str, ...] = ("alice",)) -> tuple[str, list[str]]:
        """A project and one GitHub account per user named; their ids."""
        with self.direct() as connections:
            project = connections.workspace.create_project("Faults").id
            accounts = [
                connections.add_account(
                    project, user, "github", secrets={"oauth_access_token": CANARY}
                ).id
                for user in users
            ]
        return project, accounts


@pytest.fixture
def session(tmp_path: Path) -> Session:
    return Session(tmp_path / "ws.sqlite3")


def test_a_full_disk_fails_add_and_rotate_and_loses_nothing(full_disk: SmallDisk) -> None:
    session = Session(full_disk.root / "ws.sqlite3")
    project, (kept,) = session.setup()
    with session.direct() as connections:
        old = connections.project_credentials(project)
    # A long-running process (a server, the GUI) keeps the workspace's journal files open.
    with Workspace.open(session.workspace):
        full_disk.fill()
        added = session.run("accounts", "add", "--user", "bob", *GITHUB)
        rotated = session.run("projects", "credentials", project, "--rotate")
        removed = session.run("accounts", "remove", kept)
    for result in (added, rotated, removed):
        assert result.code == 1, result
        line = result.error_line()
        assert f"could not save the {'client secret' if result is rotated else 'vault'}" in line
        assert f"cannot write the secrets file {session.workspace.with_suffix('.secrets')}" in line
        assert "No space left on device" in line
        assert result.stdout == ""  # no new secret printed, no account shown
        assert CANARY not in result.stderr

    full_disk.free()
    assert session.account_ids() == {kept}
    assert session.vault_account_ids() == {kept}
    with session.direct() as connections:
        assert connections.project_credentials(project) == old  # the old secret stands
        assert [u.external_id for u in connections.workspace.list_users(project)] == ["alice"]


def test_a_damaged_secrets_file_fails_every_command_that_needs_it(session: Session) -> None:
    _, (account,) = session.setup()
    secrets_file = session.workspace.with_suffix(".secrets")
    secrets_file.write_bytes(secrets_file.read_bytes()[:100])
    for args in (
        ("accounts", "add", "--user", "bob", *GITHUB),
        ("accounts", "remove", account),
        ("send", "--user", "alice", "--account", account, "GET", "https://api.github.com/user"),
    ):
        result = session.run(*args)
        assert result.code == 1, result
        line = result.error_line()
        assert f"the secrets file {secrets_file} is damaged or not a secrets file" in line
        assert "memory" not in result.stderr
    assert session.account_ids() == {account}  # the workspace was not touched either


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with SandboxThread() as sandbox:
        assert sandbox.base_url is not None
        yield sandbox.base_url.removeprefix("http://")


def test_a_damaged_entry_fails_only_its_account_which_says_so(
    session: Session, upstream: str, tmp_path: Path
) -> None:
    (app,) = json.loads(write_app_file(tmp_path, upstream).read_text())["apps"]
    with session.direct(app) as connections:
        project = connections.workspace.create_project("One bad entry").id

        def add(user: str, token: str) -> str:
            return connections.add_account(
                project, user, "local_crm", secrets={"api_token": token},
                allow_private_network=True,
            ).id  # fmt: skip

        broken, fine = add("alice", CANARY), add("bob", "fine-token")
    secrets_file = session.workspace.with_suffix(".secrets")
    document = json.loads(secrets_file.read_text())
    document["entries"]["workbench"][account_key(broken)] = "gAAAAAdamaged"
    secrets_file.write_text(json.dumps(document))

    failed = session.run("send", "--user", "alice", "--account", broken, "GET", "/echo")
    assert failed.code == 3, failed  # the engine's refusal, not a crash
    assert failed.json()["error"]["code"] == "credentials_unavailable"
    assert f"account:{broken}" in failed.json()["error"]["message"]
    failed.error_line()
    sent = session.ok("send", "--user", "bob", "--account", fine, "GET", "/echo")
    assert sent["status"] == 200
    health = {a["id"]: (a["healthy"], a["health_detail"]) for a in session.ok("accounts", "list")}
    assert health[fine] == (None, "")
    assert health[broken][0] is False
    assert "damaged" in health[broken][1]


def test_concurrent_cli_writers_lose_no_secret(session: Session) -> None:
    session.setup(users=())

    def writer(n: int) -> list[int]:
        return [
            session.run("accounts", "add", "--user", f"user-{n}", *GITHUB).code for _ in range(3)
        ]

    with ThreadPoolExecutor(4) as pool:
        codes = [code for batch in pool.map(writer, range(4)) for code in batch]
    assert codes == [0] * 12
    stored = session.account_ids()
    assert len(stored) == 12
    assert session.vault_account_ids() == stored
    vault = file_vault(session.workspace)
    assert all(vault.credentials(a) == {"oauth_access_token": CANARY} for a in stored)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize(
    ("command", "point"),
    [
        (("accounts", "add", "--user", "carol", *GITHUB), "add.secrets-stored"),
        (("accounts", "remove", "{alice}"), "remove.committed"),
        (("users", "remove", "alice"), "remove.secret-deleted"),
    ],
)
def test_after_kill_9_the_next_command_brings_both_stores_in_step(
    session: Session, command: tuple[str, ...], point: str
) -> None:
    project, accounts = session.setup(users=("alice", "alice", "bob"))
    args = [arg.replace("{alice}", accounts[0]) for arg in command]
    killed = subprocess.run(
        [sys.executable, "-m", "workbench", *args, *session.common],
        env=cli_env({**session.env, CRASH_ENV: point}),
        capture_output=True,
        timeout=60,
    )
    assert killed.returncode == -signal.SIGKILL
    assert session.vault_account_ids() - session.account_ids()  # an orphan, for now
    session.ok("projects", "credentials", project)  # any command that opens the vault
    assert session.vault_account_ids() == session.account_ids()
