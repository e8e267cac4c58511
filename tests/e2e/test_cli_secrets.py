"""``workbench secrets forget``: a workspace's secrets deleted before an uninstall, on request."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.cli import file_vault, prepare_secrets_file, run_cli
from workbench.core.store.vault import account_key, client_secret_key


def test_forget_deletes_the_workspace_secrets_only_when_asked(tmp_path: Path) -> None:
    workspace = tmp_path / "ws.sqlite3"
    env = prepare_secrets_file(workspace)
    common = ("--workspace", str(workspace), "--secrets", "file")
    project = run_cli("projects", "create", "--name", "P", *common, "--json", env=env).json()
    run_cli("projects", "credentials", project["id"], *common, env=env)
    account = ("--user", "u1", "--app", "stripe", "--secret", "api_key=sk_test_forget_me")
    added = run_cli("accounts", "add", *account, *common, "--json", env=env).json()

    unasked = run_cli("secrets", "forget", *common, env=env)
    assert unasked.code == 2
    assert "add --yes" in unasked.error_line()
    assert file_vault(workspace).credentials(added["id"]) == {"api_key": "sk_test_forget_me"}

    done = run_cli("secrets", "forget", "--yes", *common, "--json", env=env)
    assert done.code == 0, done
    report = done.json()
    assert sorted(report["deleted"]) == sorted(
        [account_key(added["id"]), client_secret_key(project["id"])]
    )
    assert report["store"] == f"the secrets file {workspace.with_suffix('.secrets')}"
    assert "sk_test_forget_me" not in done.stdout + done.stderr
    vault = file_vault(workspace)
    assert vault.credentials(added["id"]) == {}
    assert vault.get(client_secret_key(project["id"])) is None

    again = run_cli("secrets", "forget", "--yes", *common, env=env)
    assert again.code == 0, again
    assert again.stdout.startswith(f"Deleted 0 secret(s) of workspace {workspace} from ")


def test_there_is_nothing_to_forget_in_memory(tmp_path: Path) -> None:
    for where in (("--demo",), ("--workspace", str(tmp_path / "w.sqlite3"), "--secrets", "memory")):
        done = run_cli("secrets", "forget", "--yes", *where)
        assert done.code == 1
        assert "nothing to forget" in done.error_line()
