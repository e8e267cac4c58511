"""The per-project sliding-window rate budget, driven by a fake clock, in both stores.

Every behaviour test runs twice: over this process's memory and over the file a
workspace's processes share (``BudgetFile``), since both must count the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.core.conftest import FakeClock
from workbench.core.errors import ProxyError
from workbench.core.exchange import BudgetSnapshot
from workbench.core.ratelimit import BudgetStore, MemoryStore, RateBudget
from workbench.core.store.budgetfile import BudgetFile

MakeBudget = Callable[..., RateBudget]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "file"])
def make(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[MakeBudget]:
    """Builds budgets on the fake clock, each over its own store of the parametrised kind."""
    made: list[RateBudget] = []

    def build(limit: int = 1000, window: float = 300.0) -> RateBudget:
        store: BudgetStore = (
            MemoryStore()
            if request.param == "memory"
            else BudgetFile(tmp_path / f"b{len(made)}.budget", limit=limit, window=window)
        )
        budget = RateBudget(limit, window, clock=clock, store=store)
        made.append(budget)
        return budget

    yield build
    for budget in made:
        budget.close()


def test_defaults_are_pipedreams_limit() -> None:
    budget = RateBudget()
    assert (budget.limit, budget.window) == (1000, 300.0)


def test_take_counts_down_and_reports_reset(make: MakeBudget, clock: FakeClock) -> None:
    budget = make(3, 60)
    first = budget.take("p")
    assert (first.limit, first.remaining, first.window_seconds) == (3, 2, 60.0)
    assert first.resets_at == clock.now + 60
    assert first.taken_at == clock.now
    clock.advance(10)
    second = budget.take("p")
    assert second.remaining == 1
    assert second.resets_at == first.resets_at  # the oldest entry decides
    assert second.taken_at == clock.now


def test_full_window_refuses_with_retry_after(make: MakeBudget, clock: FakeClock) -> None:
    budget = make(2, 300)
    budget.take("p")
    clock.advance(100.2)
    budget.take("p")
    clock.advance(50)
    with pytest.raises(ProxyError) as caught:
        budget.take("p")
    error = caught.value
    assert (error.status, error.code) == (429, "rate_limited")
    # The oldest entry leaves at t0 + 300; now is t0 + 150.2 -> 149.8 s, rounded up.
    assert error.retry_after == 150
    assert error.message == (
        "Rate limit reached: 2 requests per 300 seconds for this project; retry in 150 s"
    )
    assert budget.peek("p").remaining == 0  # the refusal spent nothing
    clock.advance(149.8)  # exactly when the oldest leaves: one slot is free again
    assert budget.take("p").remaining == 0


def test_retry_after_is_at_least_one_second(make: MakeBudget, clock: FakeClock) -> None:
    budget = make(1, 10)
    budget.take("p")
    clock.advance(9.9999)
    with pytest.raises(ProxyError) as caught:
        budget.take("p")
    assert caught.value.retry_after == 1


def test_retry_after_survives_rounding_to_zero(make: MakeBudget, clock: FakeClock) -> None:
    budget = make(1, 300)
    clock.now = 2.0**30 - 300 + 2.0**-23  # one step of a double past 2**30 - 300
    budget.take("p")
    clock.now = 2.0**30  # still in the window, yet t0 + 300 - now rounds to 0.0
    with pytest.raises(ProxyError) as caught:
        budget.take("p")
    assert caught.value.retry_after == 1


def test_window_slides(make: MakeBudget, clock: FakeClock) -> None:
    budget = make(2, 300)
    start = clock.now
    budget.take("p")
    clock.advance(200)
    budget.take("p")
    clock.advance(100)  # exactly 300 s after the first: it has left the window
    assert budget.peek("p").remaining == 1
    assert budget.peek("p").resets_at == start + 200 + 300
    assert budget.take("p").remaining == 0
    with pytest.raises(ProxyError):
        budget.take("p")
    clock.advance(200)  # the second has left too
    snapshot = budget.peek("p")
    assert (snapshot.remaining, snapshot.resets_at) == (1, start + 300 + 300)


def test_peek_counts_only_what_is_still_in_the_window(make: MakeBudget, clock: FakeClock) -> None:
    budget = make(10, 100)
    start = clock.now
    for _ in range(7):
        budget.take("p")
        clock.advance(10)
    # Entries at start + 0, 10, ..., 60; now is start + 70. Peek drops nothing itself.
    for leaving in range(8):
        clock.now = start + 100 + 10 * leaving
        snapshot = budget.peek("p")
        assert snapshot.remaining == 3 + min(leaving + 1, 7)
        expected = None if leaving >= 6 else start + 10 * (leaving + 1) + 100
        assert snapshot.resets_at == expected


def test_a_clock_stepped_back_keeps_the_log_in_order(make: MakeBudget, clock: FakeClock) -> None:
    budget = make(4, 300)
    start = clock.now
    budget.take("p")
    clock.advance(20)
    budget.take("p")
    clock.advance(-10)  # NTP stepped the wall clock back, between the two requests
    ticket = budget.take("p")
    assert ticket.taken_at == start + 20  # logged no earlier than the newest entry
    assert ticket.resets_at == start + 300
    clock.now = start + 300
    assert budget.peek("p").remaining == 2  # the first has left
    clock.now = start + 320  # the other two leave together: the log stayed in order
    assert budget.peek("p").remaining == 4


def test_projects_are_independent(make: MakeBudget) -> None:
    budget = make(1, 300)
    budget.take("a")
    with pytest.raises(ProxyError):
        budget.take("a")
    assert budget.take("b").remaining == 0


def test_peek_never_spends(make: MakeBudget) -> None:
    budget = make(5, 300)
    for _ in range(3):
        snapshot = budget.peek("p")
    assert snapshot == BudgetSnapshot(limit=5, remaining=5, window_seconds=300.0, resets_at=None)
    assert budget.size == 0  # looking at a project stores nothing
    budget.take("p")
    assert budget.peek("p").remaining == 4


def test_refund_gives_the_request_back(make: MakeBudget, clock: FakeClock) -> None:
    budget = make(3, 300)
    first = budget.take("p")
    clock.advance(1)
    second = budget.take("p")
    clock.advance(1)
    third = budget.take("p")
    after = budget.refund("p", second)  # from the middle: the others keep their times
    assert (after.remaining, after.resets_at) == (1, first.taken_at + 300)
    assert budget.refund("p", first).resets_at == third.taken_at + 300
    assert budget.refund("p", third).remaining == 3
    assert budget.size == 0


def test_refund_for_a_project_never_counted_stores_nothing(make: MakeBudget) -> None:
    budget = make(3, 300)
    ticket = budget.take("p")
    assert budget.refund("other", ticket).remaining == 3
    assert budget.size == 1


def test_refund_after_the_window_gives_nothing(make: MakeBudget, clock: FakeClock) -> None:
    budget = make(2, 300)
    old = budget.take("p")
    clock.advance(300)
    budget.take("p")  # the old request has left the window
    assert budget.refund("p", old).remaining == 1
    assert budget.refund("p", old).remaining == 1


def test_idle_projects_are_forgotten(make: MakeBudget, clock: FakeClock) -> None:
    budget = make(5, 10)
    for n in range(50):
        budget.take(f"p{n}")
    assert budget.size == 50
    clock.advance(10)  # exactly a window later: every request has left it
    budget.take("fresh")
    assert budget.size == 1
    assert budget.peek("p0").resets_at is None


def test_idle_projects_are_forgotten_in_any_order(make: MakeBudget, clock: FakeClock) -> None:
    budget = make(5, 100)
    budget.take("a")
    clock.advance(10)
    budget.take("b")
    clock.advance(10)
    budget.take("a")  # a is busy again: it moves behind b
    clock.advance(95)  # b (and a's first) have left; a's second has not
    budget.peek("b")  # reading does not make b busy
    budget.take("c")
    assert budget.size == 2
    assert budget.peek("a").remaining == 4
    assert budget.peek("b").remaining == 5


def test_a_store_shared_by_budgets_never_reports_less_than_nothing(clock: FakeClock) -> None:
    store = MemoryStore()
    big = RateBudget(5, 300, clock=clock, store=store)
    small = RateBudget(2, 300, clock=clock, store=store)
    for _ in range(5):
        big.take("p")
    assert small.peek("p").remaining == 0


def test_concurrent_takes_never_exceed_the_limit(make: MakeBudget) -> None:
    budget = make(500, 300)
    accepted: list[int] = []
    refused: list[int] = []

    def worker() -> None:
        for _ in range(100):
            try:
                budget.take("p")
                accepted.append(1)
            except ProxyError:
                refused.append(1)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(accepted), len(refused)) == (500, 300)


def test_close_releases_the_store(tmp_path: Path) -> None:
    store = BudgetFile(tmp_path / "b.budget", limit=5, window=300)
    budget = RateBudget(5, 300, store=store)
    budget.close()
    with pytest.raises(RuntimeError, match="closed"):
        budget.take("p")


@pytest.mark.parametrize(
    ("limit", "window", "message"),
    [
        (0, 300, "limit must be at least 1, not 0"),
        (-1, 300, "limit must be at least 1, not -1"),
        (10, 0, "window must be positive, not 0"),
        (10, -5, "window must be positive, not -5"),
    ],
)
def test_rejects_nonsense_configuration(limit: int, window: float, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        RateBudget(limit, window)


def test_accepts_the_smallest_configuration() -> None:
    assert RateBudget(1, 0.001).take("p").remaining == 0
