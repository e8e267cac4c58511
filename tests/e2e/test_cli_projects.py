"""``workbench projects``: create, list, and the REST client credentials (shown, rotated)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.cli import file_vault, prepare_secrets_file, run_cli
from workbench.core.store.vault import client_secret_key


def test_create_list_and_rotate_credentials(tmp_path: Path) -> None:
    workspace = tmp_path / "ws.sqlite3"
    env = prepare_secrets_file(workspace)
    common = ("--workspace", str(workspace), "--secrets", "file", "--json")

    created = run_cli("projects", "create", "--name", "Billing", *common, env=env).json()
    listed = run_cli("projects", "list", *common, env=env).json()
    first = run_cli("projects", "credentials", created["id"], *common, env=env).json()
    again = run_cli("projects", "credentials", created["id"], *common, env=env).json()
    rotated = run_cli("projects", "credentials", created["id"], "--rotate", *common, env=env)

    assert created["id"].startswith("proj_")
    assert created["name"] == "Billing"
    assert listed == [created]
    assert first["client_id"] == created["client_id"]
    assert first["client_secret"].startswith("pd_secret_")
    assert again == first  # created once, then kept in the vault
    assert rotated.code == 0, rotated
    new = rotated.json()
    assert new["client_id"] == first["client_id"]
    assert new["client_secret"] != first["client_secret"]
    stored = file_vault(workspace).get(client_secret_key(created["id"]))
    assert stored == new["client_secret"]


def test_text_output_names_the_fields(tmp_path: Path) -> None:
    workspace = str(tmp_path / "ws.sqlite3")

    created = run_cli("projects", "create", "--name", "Ops", "--workspace", workspace)
    listed = run_cli("projects", "list", "--workspace", workspace)

    assert created.code == 0, created
    assert "id:" in created.stdout
    assert "proj_" in created.stdout
    assert listed.stdout.splitlines()[0].split() == ["ID", "NAME", "CLIENT_ID", "CREATED_AT"]
    assert "Ops" in listed.stdout
