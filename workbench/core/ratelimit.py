"""The per-project rate budget: a sliding-window log of recent requests."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from workbench.core.errors import ProxyError
from workbench.core.exchange import BudgetSnapshot

DEFAULT_LIMIT = 1000
DEFAULT_WINDOW = 300.0  # seconds: Pipedream's 1,000 requests per 5 minutes


class RateBudget:
    """How many requests each project may still send in the current window.

    Every accepted request is logged with its time; a request is allowed when fewer than
    ``limit`` logged requests are younger than ``window`` seconds. Unlike fixed buckets,
    a sliding log never lets ``2 * limit`` requests through around a bucket edge.
    Both environments of a project share one budget (the key is the project id).

    The clock is injectable so that tests move time without sleeping. The object is
    thread-safe: the GUI and the REST server may share one engine from different threads.
    """

    def __init__(
        self,
        limit: int = DEFAULT_LIMIT,
        window: float = DEFAULT_WINDOW,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Create a budget of ``limit`` requests per ``window`` seconds per project.

        Args:
            limit: requests allowed per window; must be positive.
            window: the window length in seconds; must be positive.
            clock: returns the current wall-clock time in seconds (``time.time``).
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        if window <= 0:
            raise ValueError(f"window must be positive, not {window}")
        self.limit = limit
        self.window = float(window)
        self._clock = clock
        self._log: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def take(self, project_id: str) -> BudgetSnapshot:
        """Spend one request of the project's budget.

        Returns:
            The budget after this request was counted.

        Raises:
            ProxyError: 429 ``rate_limited`` when the window is full; ``retry_after`` is
                the whole number of seconds (at least 1) until the oldest request leaves it.
                A refused request spends nothing.
        """
        with self._lock:
            now = self._clock()
            entries = self._prune(project_id, now)
            if len(entries) >= self.limit:
                wait = entries[0] + self.window - now
                retry_after = max(1, math.ceil(wait))
                raise ProxyError(
                    429,
                    "rate_limited",
                    f"Rate limit reached: {self.limit} requests per {self.window:g} seconds "
                    f"for this project; retry in {retry_after} s",
                    retry_after=retry_after,
                )
            entries.append(now)
            self._log[project_id] = entries
            return self._snapshot(entries)

    def peek(self, project_id: str) -> BudgetSnapshot:
        """The project's budget now, without spending any of it."""
        with self._lock:
            entries = self._prune(project_id, self._clock())
            return self._snapshot(entries)

    def _prune(self, project_id: str, now: float) -> deque[float]:
        """Drop entries that left the window; forget projects with nothing left."""
        entries = self._log.get(project_id)
        if entries is None:
            return deque()
        horizon = now - self.window
        while entries and entries[0] <= horizon:
            entries.popleft()
        if not entries:
            # Keeps memory bounded by the projects active in the last window.
            del self._log[project_id]
        return entries

    def _snapshot(self, entries: deque[float]) -> BudgetSnapshot:
        return BudgetSnapshot(
            limit=self.limit,
            remaining=max(0, self.limit - len(entries)),
            window_seconds=self.window,
            resets_at=entries[0] + self.window if entries else None,
        )
