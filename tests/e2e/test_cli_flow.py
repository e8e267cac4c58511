"""A whole non-demo session through the CLI: own workspace, encrypted secrets file, real upstream.

projects create -> apps import -> accounts add (verified) -> send -> users remove, against a
sandbox upstream the test starts, every step a separate ``workbench`` process.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.cli import file_vault, prepare_secrets_file, run_cli, write_app_file
from workbench.core.store.workspace import Workspace
from workbench.sandbox.server import SandboxThread

CANARY = "sk_CANARY_9f8e7d6c5b4a"
USER = "user-42@example.com"


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    """The authority (``127.0.0.1:PORT``) of a sandbox upstream in a thread."""
    with SandboxThread() as sandbox:
        assert sandbox.base_url is not None
        yield sandbox.base_url.removeprefix("http://")


def test_full_session_with_an_encrypted_secrets_file(tmp_path: Path, upstream: str) -> None:
    workspace = tmp_path / "ws.sqlite3"
    env = prepare_secrets_file(workspace)
    common = ("--workspace", str(workspace), "--secrets", "file")
    outputs: list[str] = []

    def cli(*args: str) -> dict | list:
        result = run_cli(*args, *common, "--json", env=env)
        assert result.code == 0, result
        outputs.append(result.stdout + result.stderr)
        return result.json()

    project = cli("projects", "create", "--name", "QA")
    assert isinstance(project, dict)
    assert project["id"].startswith("proj_")

    imported = cli("apps", "import", str(write_app_file(tmp_path, upstream)))
    assert imported == {"imported": ["local_crm"], "replaced_builtin": []}
    found = cli("apps", "-q", "local_crm")
    assert [app["origin"] for app in found] == ["imported"]

    # --project omitted: the workspace has exactly one.
    account = cli(
        "accounts", "add", "--user", USER, "--app", "local_crm", "--secret",
        f"api_token={CANARY}", "--allow-private-network", "--verify",
    )  # fmt: skip
    assert isinstance(account, dict)
    assert account["id"].startswith("apn_")
    assert account["external_user_id"] == USER
    assert account["app"] == "local_crm"
    assert account["environment"] == "development"
    assert account["allow_private_network"] is True
    assert account["healthy"] is True
    assert account["health_detail"].startswith("HTTP 200")
    assert file_vault(workspace).credentials(account["id"]) == {"api_token": CANARY}

    listed = cli("accounts", "list", "--user", USER)
    assert [(a["id"], a["external_user_id"], a["app"]) for a in listed] == [
        (account["id"], USER, "local_crm")
    ]

    sent = cli("send", "--user", USER, "--account", account["id"], "POST", "/echo/x", "-d", "[1]")
    assert isinstance(sent, dict)
    assert sent["status"] == 200
    assert sent["json"]["auth"]["masked"].startswith("sk_C")
    assert sent["json"]["body"] == "[1]"

    removed = cli("users", "remove", USER)
    assert removed == {
        "project_id": project["id"],
        "external_user_id": USER,
        "removed_accounts": [account["id"]],
    }
    assert file_vault(workspace).credentials(account["id"]) == {}
    assert cli("accounts", "list") == []
    assert cli("users", "list") == []

    after = run_cli(
        "send", "--user", USER, "--account", account["id"], "GET", "/echo", *common, env=env
    )
    assert after.code == 3, after
    assert "account_not_found" in after.error_line()

    for text in outputs:
        assert CANARY not in text
    with Workspace.open(workspace) as opened:
        opened.list_projects()  # a checkpointed, readable file
    for path in tmp_path.glob("ws.sqlite3*"):
        assert CANARY.encode() not in path.read_bytes()


def test_private_upstream_needs_the_accounts_opt_in(tmp_path: Path, upstream: str) -> None:
    workspace = tmp_path / "ws.sqlite3"
    env = prepare_secrets_file(workspace)
    with Workspace.open(workspace) as opened:
        opened.create_project("QA")
    common = ("--workspace", str(workspace), "--secrets", "file")
    assert run_cli("apps", "import", str(write_app_file(tmp_path, upstream)), *common).code == 0
    added = run_cli(
        "accounts", "add", "--user", USER, "--app", "local_crm", "--secret", "api_token=t0ken",
        *common, "--json", env=env,
    )  # fmt: skip
    assert added.code == 0, added

    sent = run_cli(
        "send", "--user", USER, "--account", added.json()["id"], "GET", "/echo", *common,
        "--json", env=env,
    )  # fmt: skip

    assert sent.code == 3, sent
    assert sent.json()["error"]["origin"] == "engine"
    assert sent.json()["error"]["code"] == "scheme_not_allowed"  # http: private mode only
