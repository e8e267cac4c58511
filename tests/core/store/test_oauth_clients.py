"""The user's OAuth clients per app (workspace v5 + vault) and the refresher's store calls."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.helpers.workspace import make_connections, memory_vault
from workbench.core.accounts import CredentialsUnavailable
from workbench.core.errors import RuleError
from workbench.core.store.migrations import migrate
from workbench.core.store.vault import MemoryKeyring, Vault, VaultError, oauth_client_secret_key
from workbench.core.store.workspace import Workspace, WorkspaceError


def test_a_client_record_is_upserted_field_by_field(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws.sqlite3") as workspace:
        assert workspace.oauth_client("slack") is None
        first = workspace.save_oauth_client("slack", redirect_port=53117)
        assert (first.client_id, first.redirect_port) == ("", 53117)
        second = workspace.save_oauth_client("slack", client_id="123.456")
        assert (second.client_id, second.redirect_port) == ("123.456", 53117)
        with pytest.raises(WorkspaceError, match="between 1 and 65535"):
            workspace.save_oauth_client("slack", redirect_port=70000)
        with pytest.raises(WorkspaceError, match="printable"):
            workspace.save_oauth_client("slack", client_id="a\nb")


def test_a_workspace_from_before_oauth_clients_gains_the_table(tmp_path: Path) -> None:
    path = tmp_path / "v4.sqlite3"
    conn = sqlite3.connect(path)
    migrate(conn, target=4)
    conn.close()
    with Workspace.open(path) as workspace:
        assert workspace.save_oauth_client("github", client_id="Iv1.x").client_id == "Iv1.x"


def test_a_secret_is_kept_for_its_client_id_only(tmp_path: Path) -> None:
    connections = make_connections(tmp_path, vault=memory_vault())
    connections.remember_oauth_client("slack", client_id="one", client_secret="cs_REMEMBERED_7d2e")
    assert connections.oauth_client("slack")[1] is True
    assert connections.oauth_client_secret("slack", "one") == "cs_REMEMBERED_7d2e"
    connections.remember_oauth_client("slack", client_id="two")
    record, remembered = connections.oauth_client("slack")
    assert record is not None
    assert (record.client_id, remembered) == ("two", False)
    assert connections.oauth_client_secret("slack", "two") is None
    dump = connections.workspace.path.read_bytes()
    assert b"cs_REMEMBERED_7d2e" not in dump
    with pytest.raises(RuleError, match="needs its client id"):
        connections.remember_oauth_client("slack", client_secret="orphan")
    with pytest.raises(RuleError, match="control characters"):
        connections.remember_oauth_client("slack", client_id="one", client_secret="a\tb")


class BrokenKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise OSError("the keychain is locked")


def test_an_unreadable_client_secret_is_named(tmp_path: Path) -> None:
    connections = make_connections(tmp_path, vault=Vault(backend=BrokenKeyring()))
    with pytest.raises(CredentialsUnavailable, match="OAuth client secret of app slack"):
        connections.oauth_client_secret("slack", "one")
    with pytest.raises(VaultError, match="OAuth client secret of app slack"):
        connections.vault.get(oauth_client_secret_key("slack", "one"))


def test_refreshed_tokens_are_not_stored_for_an_account_that_is_gone(tmp_path: Path) -> None:
    connections = make_connections(tmp_path, vault=memory_vault())
    assert connections.store_tokens("apn_gone", {"oauth_access_token": "x"}) is False
    assert connections.vault.credentials("apn_gone") == {}
