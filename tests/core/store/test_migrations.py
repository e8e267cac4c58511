"""Schema migrations: old files are carried forward with their data; newer files are refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from workbench.core.store.migrations import (
    APPLICATION_ID,
    LATEST_VERSION,
    MIGRATIONS,
    WorkspaceError,
    migrate,
    schema_version,
)
from workbench.core.store.workspace import Workspace


def build_old_file(path: Path, version: int) -> None:
    """A workspace file exactly as a release with schema ``version`` left it, with data."""
    conn = sqlite3.connect(path)
    migrate(conn, target=version)
    now = "2024-05-06T07:08:09.000Z"
    with conn:
        conn.execute(
            "INSERT INTO projects VALUES ('proj_old', 'Old project', 'pd_client_old', ?)", (now,)
        )
        conn.execute(
            "INSERT INTO external_users VALUES ('exu_old', 'proj_old', 'alice@example.com', ?, ?)",
            (now, now),
        )
        conn.execute(
            "INSERT INTO accounts (id, project_id, user_id, app_slug, environment, name, "
            "custom_fields, healthy, allow_private_network, created_at, updated_at) VALUES "
            "('apn_old', 'proj_old', 'exu_old', 'zendesk', 'production', 'Support', "
            """'{"subdomain": "acme"}', 1, 0, ?, ?)""",
            (now, now),
        )
    conn.close()


@pytest.mark.parametrize("version", range(1, LATEST_VERSION))
def test_an_old_file_is_migrated_to_the_latest_schema_with_its_data(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / f"v{version}.sqlite3"
    build_old_file(path, version)
    with Workspace.open(path) as ws:
        project = ws.get_project("proj_old")
        assert project is not None
        assert project.name == "Old project"
        assert project.client_id == "pd_client_old"
        user = ws.get_user("proj_old", "alice@example.com")
        assert user is not None
        assert user.id == "exu_old"
        account = ws.find_account("apn_old")
        assert account is not None
        assert account.custom_fields == {"subdomain": "acme"}
        assert (account.environment, account.healthy, account.health_detail) == (
            "production",
            True,
            "",  # the v3 column's default
        )
        # The newer features work on the migrated file.
        assert ws.set_account_health("apn_old", False, "HTTP 401").health_detail == "HTTP 401"
        ws.save_app({"name_slug": "mine", "name": "Mine"})
        assert ws.list_app_dicts() == [{"name_slug": "mine", "name": "Mine"}]
        ws.tokens.add(b"d" * 32, "proj_old", 2e9, now=1e9)  # v4: the servers' tokens
        assert ws.tokens.project_for(b"d" * 32, now=1e9) == "proj_old"
    conn = sqlite3.connect(path)
    assert schema_version(conn) == LATEST_VERSION
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_a_new_file_gets_every_step(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "new.sqlite3")
    assert migrate(conn) == 0
    assert schema_version(conn) == LATEST_VERSION == len(MIGRATIONS)
    assert migrate(conn) == LATEST_VERSION  # a second run does nothing
    conn.close()


def test_a_file_from_a_newer_workbench_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    Workspace.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    conn.close()
    with pytest.raises(WorkspaceError) as caught:
        Workspace.open(path)
    message = str(caught.value)
    assert f"schema version {LATEST_VERSION + 1}" in message
    assert f"up to {LATEST_VERSION}" in message
    assert "newer workbench" in message


def test_a_failing_step_leaves_the_file_at_the_previous_version(tmp_path: Path) -> None:
    def add_table(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE first (x)")

    def half_done(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE second (x)")
        conn.execute("INSERT INTO missing_table VALUES (1)")

    conn = sqlite3.connect(tmp_path / "f.sqlite3")
    with pytest.raises(WorkspaceError, match="from schema version 1 to 2"):
        migrate(conn, steps=(add_table, half_done))
    assert schema_version(conn) == 1
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert tables == {"first"}  # "second" was rolled back with the failed step
    conn.close()
