"""The writers' lock: re-entrant in a thread, exclusive across threads and processes."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from workbench.core.store.faults import CRASH_ENV, ENOSPC_ENV, checkpoint
from workbench.core.store.filelock import FileLock, StoreBusy, lock_path

HOLDER = """
import sys, time
from workbench.core.store.filelock import FileLock
with FileLock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(600)
"""


def test_the_lock_file_sits_next_to_what_it_guards(tmp_path: Path) -> None:
    assert lock_path(tmp_path / "ws.sqlite3") == tmp_path / "ws.sqlite3.lock"


def test_reentrant_in_one_thread_exclusive_between_threads(tmp_path: Path) -> None:
    lock = FileLock(tmp_path / "x.lock", timeout=0.2)
    order: list[str] = []
    with lock, lock:  # the holder may enter again
        thread = threading.Thread(target=lambda: order.append(_try(lock)))
        thread.start()
        thread.join()
    assert order == ["busy"]
    assert _try(lock) == "taken"


def _try(lock: FileLock) -> str:
    try:
        with lock:
            return "taken"
    except StoreBusy:
        return "busy"


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_another_process_waits_and_a_killed_holder_releases_it(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        busy = FileLock(path, timeout=0.3)
        with pytest.raises(StoreBusy, match=f"another workbench process has held {path}"), busy:
            pass
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(30)
        started = time.monotonic()
        with FileLock(path, timeout=30):
            assert time.monotonic() - started < 30
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


def test_checkpoints_are_inert_unless_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CRASH_ENV, raising=False)
    monkeypatch.delenv(ENOSPC_ENV, raising=False)
    checkpoint("workspace.commit")  # nothing happens
    monkeypatch.setenv(ENOSPC_ENV, "vault-file.write,workspace.commit")
    checkpoint("add.committed")
    with pytest.raises(OSError, match="No space left on device") as caught:
        checkpoint("workspace.commit")
    assert caught.value.errno == errno.ENOSPC
