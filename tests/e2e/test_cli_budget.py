"""``workbench budget``, and ``send`` processes one after another spending one budget."""

from __future__ import annotations

import math
import re
import time
from pathlib import Path

import pytest

from tests.e2e.shared import USER, SharedWorkspace, make_shared_workspace
from tests.helpers.cli import run_cli
from workbench.core.store.budgetfile import TEST_BUDGET_ENV


@pytest.fixture
def workspace(tmp_path: Path, upstream: str) -> SharedWorkspace:
    return make_shared_workspace(tmp_path, upstream)


def test_each_send_process_spends_the_same_budget(workspace: SharedWorkspace) -> None:
    env = {**workspace.env, TEST_BUDGET_ENV: "2/300"}
    send = ("send", *workspace.common, "--user", USER, "--account", workspace.account_id)
    start = time.time()
    first = run_cli(*send, "GET", "/echo/1", "--json", env=env)
    second = run_cli(*send, "GET", "/echo/2", env=env)
    third = run_cli(*send, "GET", "/echo/3", "--json", env=env)
    end = time.time()

    assert first.code == 0, first
    assert first.json()["budget"]["remaining"] == 1
    assert second.code == 0, second
    assert "budget: 0 of 2 requests left" in second.stdout
    assert third.code == 3, third
    error = third.json()["error"]
    assert error["code"] == "rate_limited"
    # The first request was counted between start and end, the refusal too.
    assert math.ceil(start + 300 - end) <= error["retry_after"] <= 300
    assert third.json()["budget"]["remaining"] == 0
    assert "Rate limit reached" in third.stderr

    shown = run_cli("budget", "--workspace", str(workspace.path), "--json", env=env)
    assert shown.code == 0, shown
    memory = run_cli(
        "budget", "--workspace", str(workspace.path), "--secrets", "memory", "--json", env=env
    )
    # Where secrets live changes nothing here (only the time left moved on).
    assert [{**r, "resets_in_seconds": 0} for r in memory.json()] == [
        {**r, "resets_in_seconds": 0} for r in shown.json()
    ]
    [row] = shown.json()
    assert row["project_id"] == workspace.project_id
    assert (row["limit"], row["used"], row["remaining"]) == (2, 2, 0)
    assert start + 300 <= row["resets_at"] <= time.time() + 300
    assert 0 < row["resets_in_seconds"] <= 300
    text = run_cli("budget", "--workspace", str(workspace.path), env=env)
    assert text.stdout.splitlines()[0].split() == [
        "PROJECT",
        "LEFT",
        "LIMIT",
        "WINDOW",
        "NEXT",
        "FREES",
        "UP",
    ]
    assert f"{workspace.project_id}  0     2" in text.stdout
    assert re.search(r"in \d+ s \(\d\d:\d\d:\d\d UTC\)", text.stdout), text.stdout


def test_budget_of_one_project_and_of_none(tmp_path: Path) -> None:
    workspace = str(tmp_path / "ws.sqlite3")
    empty = run_cli("budget", "--workspace", workspace)
    assert empty.code == 0, empty
    assert "No projects yet" in empty.stdout
    assert run_cli("budget", "--workspace", workspace, "--json").json() == []

    project = run_cli("projects", "create", "--name", "P", "--workspace", workspace, "--json")
    project_id = project.json()["id"]
    one = run_cli("budget", "--workspace", workspace, "--project", project_id, "--json").json()
    assert one == {
        "project_id": project_id,
        "limit": 1000,
        "remaining": 1000,
        "window_seconds": 300.0,
        "resets_at": None,
        "used": 0,
        "resets_in_seconds": None,
    }
    text = run_cli("budget", "--workspace", workspace, "--project", project_id)
    assert "- (nothing spent)" in text.stdout
    missing = run_cli("budget", "--workspace", workspace, "--project", "proj_nope")
    assert missing.code == 1
    assert "no project 'proj_nope'" in missing.error_line()


def test_budget_of_the_demo() -> None:
    result = run_cli("budget", "--demo", "--json")
    assert result.code == 0, result
    assert [(r["project_id"], r["remaining"]) for r in result.json()] == [("proj_demo", 1000)]


def test_a_malformed_test_budget_is_one_clear_error(tmp_path: Path) -> None:
    workspace = str(tmp_path / "ws.sqlite3")
    run_cli("projects", "create", "--name", "P", "--workspace", workspace)
    result = run_cli("budget", "--workspace", workspace, env={TEST_BUDGET_ENV: "lots"})
    assert result.code == 1
    assert "LIMIT/WINDOW" in result.error_line()
