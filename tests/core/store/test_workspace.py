"""The SQLite workspace: opening, projects, external users, accounts, health and imported apps."""

from __future__ import annotations

import itertools
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers.disk import small_disk
from tests.helpers.workspace import open_workspace
from workbench.core.accounts import Account
from workbench.core.store.migrations import LATEST_VERSION
from workbench.core.store.workspace import Workspace, WorkspaceError, default_workspace_path


class SteppingClock:
    """A clock that moves one second forward each time it is read."""

    def __init__(self) -> None:
        self.now = datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    with open_workspace(tmp_path) as opened:
        yield opened


_serial = itertools.count()


def account(project_id: str, user: str = "alice", /, **changes: object) -> Account:
    """An account with test defaults; ``changes`` override any field."""
    fields: dict[str, object] = {
        "id": f"apn_t{next(_serial)}",
        "project_id": project_id,
        "app_slug": "github",
        "external_user_id": user,
    }
    fields.update(changes)
    return Account(**fields)  # type: ignore[arg-type]


def test_open_creates_parents_and_uses_wal_with_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "ws.sqlite3"
    with Workspace.open(path) as ws:
        assert ws.path == path
        assert path.exists()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
    conn.close()


def test_foreign_keys_are_enforced(workspace: Workspace) -> None:
    with pytest.raises(WorkspaceError, match="project proj_nope does not exist"):
        workspace.ensure_user("proj_nope", "alice")


def test_default_path_is_in_the_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_workspace_path() == tmp_path / "workbench" / "workspace.sqlite3"


def test_a_file_that_is_not_sqlite_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_bytes(b"these are my notes, not a database" * 100)
    with pytest.raises(WorkspaceError, match="is not a workbench workspace"):
        Workspace.open(path)


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    with pytest.raises(WorkspaceError, match="not a workbench workspace"):
        Workspace.open(path)


def test_projects_are_created_listed_and_found(workspace: Workspace) -> None:
    first = workspace.create_project("  Acme  ")
    second = workspace.create_project("Demo", project_id="proj_demo")
    assert first.id.startswith("proj_")
    assert len(first.id) == 17
    assert first.name == "Acme"
    assert first.client_id.startswith("pd_client_")
    assert first.client_id != second.client_id
    assert second.id == "proj_demo"
    assert workspace.list_projects() == [first, second]
    assert workspace.get_project("proj_demo") == second
    assert workspace.get_project("proj_missing") is None
    assert workspace.find_project_by_client_id(first.client_id) == first
    assert workspace.find_project_by_client_id("pd_client_nope") is None


@pytest.mark.parametrize(
    ("name", "project_id", "message"),
    [
        ("   ", None, "non-empty name"),
        ("X", "project-1", "must look like proj_"),
        ("X", "proj_", "must look like proj_"),
    ],
)
def test_bad_projects_are_refused(
    workspace: Workspace, name: str, project_id: str | None, message: str
) -> None:
    with pytest.raises(WorkspaceError, match=message):
        workspace.create_project(name, project_id=project_id)
    assert workspace.list_projects() == []


def test_duplicate_project_id_is_refused(workspace: Workspace) -> None:
    workspace.create_project("A", project_id="proj_same")
    with pytest.raises(WorkspaceError, match="proj_same already exists"):
        workspace.create_project("B", project_id="proj_same")


def test_external_users_are_unique_per_project(workspace: Workspace) -> None:
    a = workspace.create_project("A").id
    b = workspace.create_project("B").id
    first = workspace.ensure_user(a, "alice@example.com")
    again = workspace.ensure_user(a, "alice@example.com")
    elsewhere = workspace.ensure_user(b, "alice@example.com")
    assert first == again
    assert first.id.startswith("exu_")
    assert elsewhere.id != first.id
    assert workspace.list_users(a) == [first]
    assert workspace.get_user(b, "alice@example.com") == elsewhere
    assert workspace.get_user(a, "bob") is None


@pytest.mark.parametrize("external_id", ["", "bad\nid", "tab\tid"])
def test_bad_external_ids_are_refused(workspace: Workspace, external_id: str) -> None:
    project = workspace.create_project("A")
    with pytest.raises(WorkspaceError, match="external user id"):
        workspace.ensure_user(project.id, external_id)


def test_list_users_filters_by_substring_with_wildcards_escaped(workspace: Workspace) -> None:
    pid = workspace.create_project("A").id
    for external_id in ("Alice@example.com", "bob@example.com", "100%_real", "1000real"):
        workspace.ensure_user(pid, external_id)
    assert [u.external_id for u in workspace.list_users(pid, q="ALICE")] == ["Alice@example.com"]
    assert [u.external_id for u in workspace.list_users(pid, q="%_")] == ["100%_real"]
    assert len(workspace.list_users(pid, q="example")) == 2
    assert len(workspace.list_users(pid, q="")) == 4


def test_accounts_round_trip_with_every_field(tmp_path: Path) -> None:
    clock = SteppingClock()
    with Workspace.open(tmp_path / "ws.sqlite3", clock=clock) as ws:
        pid = ws.create_project("A").id
        stored = ws.insert_account(
            Account(
                id="apn_abc123",
                project_id=pid,
                app_slug="zendesk",
                external_user_id="alice",
                environment="production",
                name="Alice's Zendesk",
                custom_fields={"subdomain": "acme"},
                allow_private_network=True,
            )
        )
    with Workspace.open(tmp_path / "ws.sqlite3") as reopened:
        assert reopened.find_account("apn_abc123") == stored
    assert stored.environment == "production"
    assert stored.custom_fields == {"subdomain": "acme"}
    assert stored.allow_private_network is True
    assert stored.healthy is None
    assert stored.health_detail == ""
    assert stored.created_at == stored.updated_at
    assert stored.created_at.endswith("Z")
    assert datetime.fromisoformat(stored.created_at) > datetime(2025, 1, 2, tzinfo=UTC)


def test_insert_account_creates_the_user_and_touches_it(tmp_path: Path) -> None:
    clock = SteppingClock()
    with Workspace.open(tmp_path / "ws.sqlite3", clock=clock) as ws:
        pid = ws.create_project("A").id
        user = ws.ensure_user(pid, "carol")
        ws.insert_account(account(pid, "carol"))
        after = ws.get_user(pid, "carol")
        assert after is not None
        assert after.created_at == user.created_at
        assert after.updated_at > user.updated_at
        ws.insert_account(account(pid, "dave"))
        assert ws.get_user(pid, "dave") is not None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"environment": "staging"}, "environment 'staging'"),
        ({"id": "acc_1"}, "must look like apn_"),
        ({"project_id": "proj_nope"}, "project proj_nope does not exist"),
        ({"external_user_id": ""}, "external user id"),
    ],
)
def test_bad_accounts_are_refused_and_nothing_is_stored(
    workspace: Workspace, changes: dict[str, object], message: str
) -> None:
    pid = workspace.create_project("A").id
    with pytest.raises(WorkspaceError, match=message):
        workspace.insert_account(account(pid, **changes))
    assert workspace.list_accounts() == []
    assert workspace.list_users(pid) == []


def test_duplicate_account_id_is_refused(workspace: Workspace) -> None:
    pid = workspace.create_project("A").id
    workspace.insert_account(account(pid, id="apn_same"))
    with pytest.raises(WorkspaceError, match="apn_same already exists"):
        workspace.insert_account(account(pid, "bob", id="apn_same"))


def test_list_accounts_filters(workspace: Workspace) -> None:
    a = workspace.create_project("A").id
    b = workspace.create_project("B").id
    workspace.insert_account(account(a, "alice", id="apn_1", app_slug="github"))
    workspace.insert_account(account(a, "alice", id="apn_2", app_slug="slack"))
    workspace.insert_account(account(a, "bob", id="apn_3", environment="production"))
    workspace.insert_account(account(b, "alice", id="apn_4"))

    def ids(**filters: str) -> list[str]:
        return [acc.id for acc in workspace.list_accounts(**filters)]

    assert ids() == ["apn_1", "apn_2", "apn_3", "apn_4"]
    assert ids(project_id=a) == ["apn_1", "apn_2", "apn_3"]
    assert ids(project_id=a, external_user_id="alice") == ["apn_1", "apn_2"]
    assert ids(app_slug="github") == ["apn_1", "apn_3", "apn_4"]
    assert ids(project_id=a, environment="production") == ["apn_3"]
    assert ids(project_id=a, environment="development", app_slug="slack") == ["apn_2"]


def test_delete_account(workspace: Workspace) -> None:
    pid = workspace.create_project("A").id
    workspace.insert_account(account(pid, id="apn_gone"))
    assert workspace.delete_account("apn_gone") is True
    assert workspace.delete_account("apn_gone") is False
    assert workspace.find_account("apn_gone") is None
    assert workspace.get_user(pid, "alice") is not None  # the user stays


def test_delete_user_removes_their_accounts_only(workspace: Workspace) -> None:
    pid = workspace.create_project("A").id
    other = workspace.create_project("B").id
    workspace.insert_account(account(pid, "alice", id="apn_a1"))
    workspace.insert_account(account(pid, "alice", id="apn_a2"))
    workspace.insert_account(account(pid, "bob", id="apn_b1"))
    workspace.insert_account(account(other, "alice", id="apn_o1"))
    assert workspace.delete_user(pid, "alice") == ["apn_a1", "apn_a2"]
    assert workspace.get_user(pid, "alice") is None
    assert [a.id for a in workspace.list_accounts()] == ["apn_b1", "apn_o1"]
    assert workspace.delete_user(pid, "alice") == []


def test_users_are_seen_and_removed_per_environment(workspace: Workspace) -> None:
    pid = workspace.create_project("A").id
    workspace.insert_account(account(pid, "alice", id="apn_dev"))
    workspace.insert_account(account(pid, "alice", id="apn_prod", environment="production"))
    workspace.insert_account(account(pid, "bob", id="apn_bob", environment="production"))
    workspace.ensure_user(pid, "carol")  # no account: seen in no environment

    def names(environment: str | None) -> list[str]:
        return [u.external_id for u in workspace.list_users(pid, environment=environment)]

    assert names(None) == ["alice", "bob", "carol"]
    assert names("development") == ["alice"]
    assert names("production") == ["alice", "bob"]
    assert workspace.get_user(pid, "bob", environment="development") is None
    assert workspace.get_user(pid, "bob", environment="production") is not None
    assert workspace.delete_user(pid, "bob", environment="development") == []
    assert workspace.delete_user(pid, "alice", environment="development") == ["apn_dev"]
    assert workspace.get_user(pid, "alice") is not None  # still connected in production
    assert workspace.delete_user(pid, "alice", environment="production") == ["apn_prod"]
    assert workspace.get_user(pid, "alice") is None
    assert [a.id for a in workspace.list_accounts()] == ["apn_bob"]


def test_set_account_health(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws.sqlite3", clock=SteppingClock()) as ws:
        pid = ws.create_project("A").id
        created = ws.insert_account(account(pid, id="apn_h"))
        sick = ws.set_account_health("apn_h", False, "HTTP 401: bad token")
        assert (sick.healthy, sick.health_detail) == (False, "HTTP 401: bad token")
        assert sick.updated_at > created.updated_at
        assert ws.set_account_health("apn_h", True, "HTTP 200: ok").healthy is True
        assert ws.set_account_health("apn_h", None, "").healthy is None
        with pytest.raises(WorkspaceError, match="apn_nope does not exist"):
            ws.set_account_health("apn_nope", True, "")


def test_imported_apps_are_saved_replaced_listed_and_deleted(workspace: Workspace) -> None:
    workspace.save_app({"name_slug": "zeta", "name": "Zeta"})
    workspace.save_app({"name_slug": "alpha", "name": "Alpha", "connect": {"x": [1]}})
    workspace.save_app({"name_slug": "zeta", "name": "Zeta 2"})
    assert workspace.list_app_dicts() == [
        {"name_slug": "alpha", "name": "Alpha", "connect": {"x": [1]}},
        {"name_slug": "zeta", "name": "Zeta 2"},
    ]
    assert workspace.delete_app("zeta") is True
    assert workspace.delete_app("zeta") is False
    assert [d["name_slug"] for d in workspace.list_app_dicts()] == ["alpha"]
    with pytest.raises(WorkspaceError, match="name_slug"):
        workspace.save_app({"name": "No slug"})


def test_concurrent_writers_in_threads_lose_nothing(workspace: Workspace) -> None:
    pid = workspace.create_project("A").id
    errors: list[BaseException] = []

    def add(worker: int) -> None:
        try:
            for n in range(25):
                workspace.insert_account(account(pid, f"user{n % 3}", id=f"apn_w{worker}n{n}"))
        except BaseException as exc:  # reported below, a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(workspace.list_accounts(pid)) == 100
    assert len(workspace.list_users(pid)) == 3


def test_two_workspace_objects_on_one_file_see_each_others_commits(tmp_path: Path) -> None:
    with open_workspace(tmp_path) as one, open_workspace(tmp_path) as two:
        pid = one.create_project("A").id
        two.insert_account(account(pid, id="apn_shared"))
        assert one.find_account("apn_shared") is not None


def test_cached_account_lookups_follow_every_commit(tmp_path: Path) -> None:
    """find_account keeps rows between commits; one here or in another connection clears them."""
    with open_workspace(tmp_path) as one, open_workspace(tmp_path) as other:
        pid = one.create_project("A").id
        assert one.find_account("apn_c") is None  # a miss is kept too ...
        other.insert_account(account(pid, id="apn_c", name="first"))
        found = one.find_account("apn_c")  # ... until another connection commits
        assert found is not None
        assert found.name == "first"
        assert one.find_account("apn_c") is found  # served from the cache
        one.set_account_health("apn_c", False, "HTTP 401")  # this connection's own commit
        refreshed = one.find_account("apn_c")
        assert refreshed is not None
        assert refreshed.healthy is False
        assert other.delete_account("apn_c") is True
        assert one.find_account("apn_c") is None


def test_probing_unknown_ids_keeps_the_account_cache_bounded(workspace: Workspace) -> None:
    pid = workspace.create_project("A").id
    workspace.insert_account(account(pid, id="apn_real"))
    for n in range(3000):  # as a caller probing the proxy with made-up ids would
        assert workspace.find_account(f"apn_unknown{n}") is None
    _, cache = workspace._account_cache  # the bound is internal: nothing public shows it
    assert len(cache) <= 1024
    assert workspace.find_account("apn_real") is not None


def test_a_full_disk_is_named_when_a_workspace_cannot_be_created(tmp_path: Path) -> None:
    with small_disk(tmp_path, real=True) as disk:
        disk.fill()
        with pytest.raises(WorkspaceError) as caught:
            Workspace.open(disk.root / "new.sqlite3")
    message = str(caught.value)
    assert message.startswith(f"cannot open workspace {disk.root / 'new.sqlite3'}: ")
    assert "KiB free on that disk" in message
    assert "not a workbench workspace" not in message
