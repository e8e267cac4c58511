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
from pathlib import Path

import pytest

from tests.helpers.cli import cli_env, file_vault, prepare_secrets_file, run_cli
from tests.helpers.disk import SmallDisk, full_disk
from workbench.core.store.faults import CRASH_ENV
from workbench.core.store.vault import account_key
from workbench.core.store.workspace import Workspace
from workbench.sandbox.server import SandboxThread

__all__ = ["full_disk"]  # a fixture, imported for the tests below

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
        return {account["id"] for account in self.ok("accounts", "list")}


@pytest.fixture
def session(tmp_path: Path) -> Session:
    return Session(tmp_path / "ws.sqlite3")


def test_a_full_disk_fails_add_and_rotate_and_loses_nothing(full_disk: SmallDisk) -> None:
    session = Session(full_disk.root / "ws.sqlite3")
    project = session.ok("projects", "create", "--name", "Full")["id"]
    kept = session.ok("accounts", "add", "--user", "alice", *GITHUB)["id"]
    old = session.ok("projects", "credentials", project)
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
    assert session.ok("projects", "credentials", project) == old  # the old secret stands
    assert session.ok("users", "list")[0]["external_id"] == "alice"


def test_a_damaged_secrets_file_fails_every_command_that_needs_it(session: Session) -> None:
    session.ok("projects", "create", "--name", "Damaged")
    account = session.ok("accounts", "add", "--user", "alice", *GITHUB)["id"]
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


def import_echo_app(session: Session, authority: str, directory: Path) -> None:
    app = {
        "name_slug": "local_echo",
        "name": "Local echo",
        "auth_type": "keys",
        "connect": {
            "proxy_enabled": True,
            "allowed_domains": [authority],
            "base_proxy_target_url": f"http://{authority}",
        },
        "credentials": [{"name": "api_token", "label": "API token"}],
        "injection": [
            {
                "in": "header",
                "name": "Authorization",
                "template": "Bearer {{credentials.api_token}}",
            }
        ],
    }
    path = directory / "apps.json"
    path.write_text(json.dumps({"schema": 1, "apps": [app]}))
    session.ok("apps", "import", str(path))


def test_a_damaged_entry_fails_only_its_account_which_says_so(
    session: Session, upstream: str, tmp_path: Path
) -> None:
    session.ok("projects", "create", "--name", "One bad entry")
    import_echo_app(session, upstream, tmp_path)
    add = ("accounts", "add", "--app", "local_echo", "--allow-private-network", "--secret")
    broken = session.ok(*add, f"api_token={CANARY}", "--user", "alice")["id"]
    fine = session.ok(*add, "api_token=fine-token", "--user", "bob")["id"]
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
    session.ok("projects", "create", "--name", "Busy")

    def writer(n: int) -> list[int]:
        return [
            session.run("accounts", "add", "--user", f"user-{n}", *GITHUB).code for _ in range(4)
        ]

    with ThreadPoolExecutor(4) as pool:
        codes = [code for batch in pool.map(writer, range(4)) for code in batch]
    assert codes == [0] * 16
    stored = session.account_ids()
    assert len(stored) == 16
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
    project = session.ok("projects", "create", "--name", "Crash")["id"]
    alice = [session.ok("accounts", "add", "--user", "alice", *GITHUB)["id"] for _ in range(2)]
    session.ok("accounts", "add", "--user", "bob", *GITHUB)
    args = [arg.replace("{alice}", alice[0]) for arg in command]
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
