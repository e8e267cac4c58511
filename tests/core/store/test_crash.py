"""Crash safety: SIGKILL in the middle of writes loses no committed row and corrupts nothing."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.core.store.workspace import Workspace

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

# The child writes accounts as fast as it can, each in its own transaction, and prints an
# account's id only after its transaction committed.
WRITER = """
import sys
from workbench.core.accounts import Account
from workbench.core.store.ids import new_id
from workbench.core.store.workspace import Workspace

ws = Workspace.open(sys.argv[1])
n = 0
while True:
    account = ws.insert_account(Account(
        id=new_id("apn"), project_id=sys.argv[2], app_slug="github",
        external_user_id=f"user-{n % 7}", custom_fields={"n": str(n)},
    ))
    ws.set_account_health(account.id, n % 2 == 0, "x" * (n % 500))
    print(account.id, flush=True)
    n += 1
"""


def run_and_kill(path: Path, project_id: str, after: int) -> list[str]:
    """Start the writer, SIGKILL it once ``after`` ids were reported; return every id seen."""
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), project_id],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stderr is not None
    reported: list[str] = []
    try:
        while len(reported) < after:
            line = child.stdout.readline()
            if not line:
                pytest.fail(f"the writer died on its own: {child.stderr.read()}")
            reported.append(line.strip())
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        # Lines already in the pipe were printed after their commit, so they count too.
        reported.extend(line.strip() for line in child.stdout if line.strip())
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    return reported


def test_sigkill_mid_write_loses_nothing_committed(tmp_path: Path) -> None:
    path = tmp_path / "crash.sqlite3"
    with Workspace.open(path) as ws:
        project_id = ws.create_project("Crash test").id
    stored: set[str] = set()
    rng = random.Random()
    for _ in range(4):
        reported = run_and_kill(path, project_id, after=rng.randint(20, 80))
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
        with Workspace.open(path) as ws:
            now_stored = {account.id for account in ws.list_accounts(project_id)}
            assert len(ws.list_users(project_id)) == 7
        new = now_stored - stored
        assert stored <= now_stored
        assert set(reported) <= new
        # Beyond the reported rows, only the insert in flight at the kill may have landed.
        assert len(new) - len(reported) <= 1
        stored = now_stored
