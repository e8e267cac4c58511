"""The budget file every process on a workspace shares: exact across openers, crash-safe.

Two ``BudgetFile`` objects on one path hold two open file descriptions, so their
``flock`` excludes each other exactly as two processes do; real processes are used
where only they can show something (a SIGKILL at a chosen write, a lock holder killed).
"""

from __future__ import annotations

import fcntl
import os
import signal
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.core.conftest import FakeClock
from workbench.core.errors import ProxyError
from workbench.core.exchange import BudgetSnapshot
from workbench.core.ratelimit import RateBudget
from workbench.core.store.budgetfile import (
    TEST_BUDGET_ENV,
    BudgetFile,
    BudgetFileError,
    budget_path,
    budget_settings,
    open_shared_budget,
)
from workbench.core.store.migrations import WorkspaceError
from workbench.core.store.workspace import Workspace

Opener = Callable[..., RateBudget]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def opener(tmp_path: Path, clock: FakeClock) -> Iterator[Opener]:
    """Opens budgets over ONE file (``tmp_path/ws.budget``), as separate processes would."""
    opened: list[RateBudget] = []

    def open_budget(limit: int = 1000, window: float = 300.0) -> RateBudget:
        store = BudgetFile(tmp_path / "ws.budget", limit=limit, window=window)
        budget = RateBudget(limit, window, clock=clock, store=store)
        opened.append(budget)
        return budget

    yield open_budget
    for budget in opened:
        budget.close()


def test_two_openers_spend_one_budget(opener: Opener, clock: FakeClock) -> None:
    first, second = opener(3, 300), opener(3, 300)
    start = clock.now
    first.take("proj_a")
    clock.advance(10)
    assert second.take("proj_a").remaining == 1
    assert first.take("proj_a").resets_at == start + 300
    clock.advance(5)
    with pytest.raises(ProxyError) as caught:
        second.take("proj_a")
    assert caught.value.retry_after == 285  # from the first opener's oldest request
    assert first.peek("proj_a").remaining == 0
    assert second.take("proj_b").remaining == 2  # another project's budget is its own


def test_threads_on_two_openers_never_exceed_the_limit(opener: Opener) -> None:
    budgets = [opener(300, 300), opener(300, 300)]
    outcomes: list[bool] = []
    lock = threading.Lock()

    def worker(budget: RateBudget) -> None:
        for _ in range(100):
            try:
                budget.take("proj_a")
                ok = True
            except ProxyError:
                ok = False
            with lock:
                outcomes.append(ok)

    threads = [threading.Thread(target=worker, args=(budgets[n % 2],)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (outcomes.count(True), outcomes.count(False)) == (300, 300)


def test_the_ring_wraps_around_for_ever(opener: Opener, clock: FakeClock) -> None:
    budget = opener(3, 10)
    for round_number in range(20):
        for n in range(3):
            assert budget.take("proj_a").remaining == 2 - n, round_number
        with pytest.raises(ProxyError):
            budget.take("proj_a")
        clock.advance(4)
        assert budget.peek("proj_a").remaining == 0
        clock.advance(6)


def test_idle_slots_are_reused_so_the_file_stays_small(
    opener: Opener, clock: FakeClock, tmp_path: Path
) -> None:
    budget = opener(5, 10)
    store = budget.store
    assert isinstance(store, BudgetFile)
    for name in ("a", "b", "c"):
        budget.take(name)
    assert (store.slots, len(store)) == (3, 3)
    size = (tmp_path / "ws.budget").stat().st_size
    clock.advance(10)
    for name in ("d", "e"):
        budget.take(name)
    assert (store.slots, len(store)) == (3, 2)  # a, b and c were freed; nothing grew
    assert (tmp_path / "ws.budget").stat().st_size == size
    assert budget.peek("a").resets_at is None
    budget.take("f")
    budget.take("g")
    assert (store.slots, len(store)) == (4, 4)  # four busy at once: one more slot


def test_any_project_id_has_a_place(opener: Opener) -> None:
    budget = opener(5, 10)
    for project_id in ("", "proj_" + "x" * 500, "proj_\ud800", "проект"):
        assert budget.take(project_id).remaining == 4
    assert budget.size == 4


def test_looking_at_a_project_writes_nothing(opener: Opener, tmp_path: Path) -> None:
    budget = opener(5, 10)
    before = (tmp_path / "ws.budget").read_bytes()
    assert budget.peek("proj_never").remaining == 5
    assert (tmp_path / "ws.budget").read_bytes() == before
    assert budget.size == 0


def test_a_slot_is_found_again_after_another_opener_moved_it(
    opener: Opener, clock: FakeClock
) -> None:
    first, second = opener(5, 10), opener(5, 10)
    first.take("a")  # first caches a -> slot 0
    clock.advance(10)
    second.take("b")  # a is idle: b takes slot 0
    first.take("a")  # first's cached slot now belongs to b: a gets another
    assert first.peek("b").remaining == 4
    assert second.peek("a").remaining == 4


def test_another_budget_in_the_same_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ws.budget"
    BudgetFile(path, limit=1000, window=300).close()
    for limit, window in ((5, 300), (1000, 60)):
        with pytest.raises(BudgetFileError) as caught:
            BudgetFile(path, limit=limit, window=window)
        message = str(caught.value)
        assert "1000 requests per 300 s" in message
        assert TEST_BUDGET_ENV in message


def test_a_foreign_or_newer_file_is_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.budget"
    foreign.write_bytes(b"SQLite format 3\x00" + bytes(100))
    with pytest.raises(BudgetFileError, match="not a workbench rate budget file"):
        BudgetFile(foreign, limit=5, window=10)
    newer = tmp_path / "newer.budget"
    BudgetFile(newer, limit=5, window=10).close()
    with newer.open("r+b") as raw:
        raw.seek(8)
        raw.write((2).to_bytes(4, "little"))
    with pytest.raises(BudgetFileError, match="has version 2"):
        BudgetFile(newer, limit=5, window=10)


def test_a_file_whose_creator_died_before_writing_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "ws.budget"
    path.write_bytes(b"")
    budget = RateBudget(5, 10, store=BudgetFile(path, limit=5, window=10))
    assert budget.take("p").remaining == 4
    budget.close()


def test_a_damaged_slot_head_reads_as_empty(opener: Opener, tmp_path: Path) -> None:
    budget = opener(5, 10)
    budget.take("p")
    store = budget.store
    assert isinstance(store, BudgetFile)
    key = store.slot_head(0)[0]
    for head, count in ((5, 1), (0, 6), (7, 2)):  # past the ring: what a power loss may leave
        store.write_slot_head(0, (key, head, count, 1.0, 2.0))
        assert budget.peek("p").remaining == 5
    assert budget.take("p").remaining == 4


def test_unusable_sizes_are_refused(tmp_path: Path) -> None:
    for limit, window in ((0, 10), (1_000_001, 10), (5, 0)):
        with pytest.raises(ValueError, match="must be"):
            BudgetFile(tmp_path / "x.budget", limit=limit, window=window)
    BudgetFile(tmp_path / "big.budget", limit=1_000_000, window=0.5).close()


def test_the_file_is_private_to_its_owner(opener: Opener, tmp_path: Path) -> None:
    opener(5, 10).take("p")
    assert stat.S_IMODE((tmp_path / "ws.budget").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("call", "operation"),
    [("pread", "read"), ("pwrite", "write"), ("ftruncate", "grow"), ("flock", "lock")],
)
def test_a_failing_file_is_a_clear_workspace_error(
    opener: Opener, monkeypatch: pytest.MonkeyPatch, call: str, operation: str
) -> None:
    budget = opener(5, 10)
    budget.take("p")  # the next take reads p's slot

    def failing(*args: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(fcntl if call == "flock" else os, call, failing)
    with pytest.raises(WorkspaceError) as caught:
        budget.take("p" if call != "ftruncate" else "q")
    message = str(caught.value)
    assert message.startswith(f"cannot {operation} the rate budget file ")
    assert "ws.budget" in message
    assert "Input/output error" in message


def test_an_unopenable_file_is_a_workspace_error(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="cannot open the rate budget file"):
        BudgetFile(tmp_path / "missing" / "x.budget", limit=5, window=10)


def test_the_file_sits_beside_the_real_workspace(tmp_path: Path) -> None:
    real = tmp_path / "real" / "ws.sqlite3"
    real.parent.mkdir()
    real.touch()
    link = tmp_path / "link.sqlite3"
    link.symlink_to(real)
    assert budget_path(link) == real.with_suffix(".budget")


def test_settings_come_from_the_test_variable_only_when_set() -> None:
    assert budget_settings({}) == (1000, 300.0)
    assert budget_settings({TEST_BUDGET_ENV: "5/2.5"}) == (5, 2.5)
    with pytest.raises(BudgetFileError, match="LIMIT/WINDOW"):
        budget_settings({TEST_BUDGET_ENV: "lots"})


def test_workspaces_on_one_file_share_the_budget(tmp_path: Path) -> None:
    with (
        Workspace.open(tmp_path / "ws.sqlite3") as first,
        Workspace.open(tmp_path / "ws.sqlite3") as second,
    ):
        assert first.budget is first.budget
        for _ in range(3):
            first.budget.take("proj_a")
        assert second.budget.peek("proj_a").remaining == 997
        assert (tmp_path / "ws.budget").exists()
    with pytest.raises(WorkspaceError, match="closed"):
        first.budget.take("proj_a")


def test_open_shared_budget_counts_in_the_workspace_file(tmp_path: Path, clock: FakeClock) -> None:
    budget = open_shared_budget(tmp_path / "ws.sqlite3", limit=2, window=60, clock=clock)
    try:
        assert (budget.limit, budget.window) == (2, 60.0)
        assert budget.take("p").taken_at == clock.now
        reopened = BudgetFile(tmp_path / "ws.budget", limit=2, window=60)
        assert len(reopened) == 1
        reopened.close()
    finally:
        budget.close()


# --- real processes -----------------------------------------------------------------

needs_sigkill = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


class Crash(BaseException):
    """The process dies here: no later write reaches the file."""


def die_before_write(store: BudgetFile, number: int) -> None:
    """Make the store's ``number``-th write from now, and every later one, a death.

    ``pwrite`` is the only way the file changes, so failing every write from the k-th on
    leaves exactly what a SIGKILL just before it would leave.
    """
    writes = [0]
    write = store.write

    def write_until_death(offset: int, data: bytes) -> None:
        writes[0] += 1
        if writes[0] >= number:
            raise Crash
        write(offset, data)

    store.write = write_until_death  # type: ignore[method-assign]


@pytest.mark.parametrize("dies_before_write", [1, 2, 3])
def test_a_process_dying_mid_take_loses_no_accounting(
    tmp_path: Path, dies_before_write: int
) -> None:
    """A take that drops the oldest request and logs a new one dies before write k."""
    path = tmp_path / "ws.budget"
    now = [0.0]
    store = BudgetFile(path, limit=3, window=10)
    dying = RateBudget(3, 10, clock=lambda: now[0], store=store)
    for t in (0.0, 1.0, 2.0):
        now[0] = t
        dying.take("proj_a")
    now[0] = 10.5  # the request at t = 0 has left the window
    die_before_write(store, dies_before_write)
    with pytest.raises(Crash):
        dying.take("proj_a")

    survivor = RateBudget(3, 10, clock=lambda: now[0], store=BudgetFile(path, limit=3, window=10))
    try:
        # The requests at t = 1 and 2 still count; the dying one was never sent.
        snapshot = survivor.peek("proj_a")
        assert (snapshot.remaining, snapshot.resets_at) == (1, 11.0)
        assert survivor.take("proj_a").remaining == 0
        with pytest.raises(ProxyError) as caught:
            survivor.take("proj_a")
        assert caught.value.retry_after == 1
    finally:
        survivor.close()
        dying.close()


@pytest.mark.parametrize("dies_before_write", [1, 2, 3])
def test_a_process_dying_mid_refund_loses_no_accounting(
    tmp_path: Path, dies_before_write: int
) -> None:
    """Refunding the second of four requests shifts two times down, then writes the head."""
    path = tmp_path / "ws.budget"
    now = [0.0]
    store = BudgetFile(path, limit=5, window=10)
    dying = RateBudget(5, 10, clock=lambda: now[0], store=store)
    tickets = []
    for t in (0.0, 1.0, 2.0, 3.0):
        now[0] = t
        tickets.append(dying.take("proj_a"))
    die_before_write(store, dies_before_write)
    with pytest.raises(Crash):
        dying.refund("proj_a", tickets[1])

    survivor = RateBudget(5, 10, clock=lambda: now[0], store=BudgetFile(path, limit=5, window=10))
    try:
        # The refund never finished: all four still count, the oldest first.
        assert survivor.peek("proj_a") == BudgetSnapshot(5, 1, 10.0, 10.0)
        now[0] = 10.5  # the request at t = 0 leaves, and only it
        snapshot = survivor.peek("proj_a")
        assert snapshot.remaining == 2
        assert snapshot.resets_at in (11.0, 12.0)  # 1 s still there, or already shifted out
    finally:
        survivor.close()
        dying.close()


HOLDS_THE_LOCK = """
import sys, time
from workbench.core.store.budgetfile import BudgetFile

store = BudgetFile(sys.argv[1], limit=5, window=300)
with store.writing("proj_a", idle_before=0.0):
    print("locked", flush=True)
    time.sleep(120)
"""


@needs_sigkill
def test_a_lock_holder_killed_blocks_no_one(tmp_path: Path) -> None:
    path = tmp_path / "ws.budget"
    budget = RateBudget(5, 300, store=BudgetFile(path, limit=5, window=300))
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDS_THE_LOCK, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "locked"
        results: list[int] = []
        waiter = threading.Thread(target=lambda: results.append(budget.take("proj_a").remaining))
        waiter.start()
        waiter.join(0.3)
        assert results == []  # waiting for the child's lock
        os.kill(child.pid, signal.SIGKILL)
        waiter.join(60)
        assert results == [4]
    finally:
        child.kill()
        child.wait(30)
        budget.close()
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()
