"""The per-project sliding-window rate budget, driven by a fake clock."""

from __future__ import annotations

import threading

import pytest

from tests.core.conftest import FakeClock
from workbench.core.errors import ProxyError
from workbench.core.ratelimit import RateBudget


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_defaults_are_pipedreams_limit() -> None:
    budget = RateBudget()
    assert (budget.limit, budget.window) == (1000, 300.0)


def test_take_counts_down_and_reports_reset(clock: FakeClock) -> None:
    budget = RateBudget(3, 60, clock=clock)
    first = budget.take("p")
    assert (first.limit, first.remaining, first.window_seconds) == (3, 2, 60.0)
    assert first.resets_at == clock.now + 60
    clock.advance(10)
    second = budget.take("p")
    assert second.remaining == 1
    assert second.resets_at == first.resets_at  # the oldest entry decides


def test_full_window_refuses_with_retry_after(clock: FakeClock) -> None:
    budget = RateBudget(2, 300, clock=clock)
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
    assert budget.peek("p").remaining == 0  # the refusal spent nothing


def test_retry_after_is_at_least_one_second(clock: FakeClock) -> None:
    budget = RateBudget(1, 10, clock=clock)
    budget.take("p")
    clock.advance(9.9999)
    with pytest.raises(ProxyError) as caught:
        budget.take("p")
    assert caught.value.retry_after == 1


def test_window_slides(clock: FakeClock) -> None:
    budget = RateBudget(2, 300, clock=clock)
    budget.take("p")
    clock.advance(200)
    budget.take("p")
    clock.advance(100)  # exactly 300 s after the first: it has left the window
    assert budget.take("p").remaining == 0
    with pytest.raises(ProxyError):
        budget.take("p")
    clock.advance(200)  # the second has left too
    assert budget.peek("p").remaining == 1


def test_projects_are_independent(clock: FakeClock) -> None:
    budget = RateBudget(1, 300, clock=clock)
    budget.take("a")
    with pytest.raises(ProxyError):
        budget.take("a")
    assert budget.take("b").remaining == 0


def test_peek_never_spends(clock: FakeClock) -> None:
    budget = RateBudget(5, 300, clock=clock)
    for _ in range(3):
        snapshot = budget.peek("p")
    assert (snapshot.remaining, snapshot.resets_at) == (5, None)
    budget.take("p")
    assert budget.peek("p").remaining == 4


def test_idle_projects_are_forgotten(clock: FakeClock) -> None:
    budget = RateBudget(5, 10, clock=clock)
    budget.take("p")
    clock.advance(11)
    assert budget.peek("p").resets_at is None


def test_concurrent_takes_never_exceed_the_limit() -> None:
    budget = RateBudget(500, 300)
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


@pytest.mark.parametrize(("limit", "window"), [(0, 300), (-1, 300), (10, 0), (10, -5)])
def test_rejects_nonsense_configuration(limit: int, window: float) -> None:
    with pytest.raises(ValueError, match="must be"):
        RateBudget(limit, window)
