"""The per-project rate budget: a sliding-window log of recent requests, kept in a store."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from typing import Protocol

from workbench.core.errors import ProxyError
from workbench.core.exchange import BudgetSnapshot

DEFAULT_LIMIT = 1000
DEFAULT_WINDOW = 300.0  # seconds: Pipedream's 1,000 requests per 5 minutes


class ProjectLog(Protocol):
    """One project's counted requests: their times, oldest first (a ``deque`` is one).

    The times never decrease from one entry to the next, which :class:`RateBudget`
    guarantees when it appends.
    """

    def __len__(self) -> int:
        """How many requests are logged."""
        ...

    def __getitem__(self, index: int) -> float:
        """The time of entry ``index`` (0 the oldest, -1 the newest)."""
        ...

    def popleft(self) -> float:
        """Drop the oldest entry and return its time."""
        ...

    def append(self, at: float, /) -> None:
        """Log a request at time ``at`` (not older than the newest entry)."""
        ...

    def remove(self, at: float, /) -> None:
        """Drop one entry with time ``at``; ``ValueError`` when there is none."""
        ...


class BudgetStore(Protocol):
    """Where the logs live: this process's memory, or a file every process shares.

    A log is locked (between threads and, for a shared store, between processes) for as
    long as its ``with`` block runs, so one check-and-append is atomic.
    """

    def reading(self, project_id: str) -> AbstractContextManager[ProjectLog]:
        """The project's log, to read only (empty for a project the store does not hold)."""
        ...

    def writing(self, project_id: str, *, idle_before: float) -> AbstractContextManager[ProjectLog]:
        """The project's log, to change; the changes are kept when the block ends.

        The store may forget the projects whose newest entry is at or before
        ``idle_before`` (their requests have all left the window): that bounds its size.
        """
        ...

    def __len__(self) -> int:
        """How many projects the store holds requests for."""
        ...

    def close(self) -> None:
        """Release what the store holds open (a file); later calls may fail."""
        ...


class MemoryStore:
    """The logs of one process, in memory: a budget nobody else shares (tests, tools).

    Projects are kept in order of their last write, so the idle ones are found at the
    front and dropped in constant time per request.
    """

    def __init__(self) -> None:
        """Start empty."""
        self._logs: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many projects have requests logged here."""
        with self._lock:
            return len(self._logs)

    def close(self) -> None:
        """Nothing to release: memory goes with the store."""

    @contextmanager
    def reading(self, project_id: str) -> Iterator[ProjectLog]:
        """The project's log under this store's lock (see :class:`BudgetStore`)."""
        with self._lock:
            yield self._logs.get(project_id) or deque()

    def writing(self, project_id: str, *, idle_before: float) -> _MemoryWrite:
        """The project's log under this store's lock (see :class:`BudgetStore`)."""
        return _MemoryWrite(self, project_id, idle_before)

    def begin_write(self, project_id: str, idle_before: float) -> deque[float]:
        """Lock, forget the idle projects, and return the project's log (made busiest)."""
        self._lock.acquire()
        self._forget_idle(idle_before)
        entries = self._logs.setdefault(project_id, deque())
        self._logs.move_to_end(project_id)
        return entries

    def end_write(self, project_id: str, entries: deque[float]) -> None:
        """Drop the log if the write left it empty, and unlock."""
        if not entries:
            del self._logs[project_id]
        self._lock.release()

    def _forget_idle(self, idle_before: float) -> None:
        # A write that leaves a log empty removes it, so every log here has an entry.
        while self._logs:
            project_id = next(iter(self._logs))
            if self._logs[project_id][-1] > idle_before:
                return
            del self._logs[project_id]


class _MemoryWrite:
    """The ``with`` block of :meth:`MemoryStore.writing`.

    A class rather than a generator-based context manager: it runs on every request,
    and this way it costs a third as much.
    """

    __slots__ = ("_entries", "_idle_before", "_project_id", "_store")
    _entries: deque[float]  # set by __enter__

    def __init__(self, store: MemoryStore, project_id: str, idle_before: float) -> None:
        self._store = store
        self._project_id = project_id
        self._idle_before = idle_before

    def __enter__(self) -> ProjectLog:
        self._entries = self._store.begin_write(self._project_id, self._idle_before)
        return self._entries

    def __exit__(self, *exc_info: object) -> None:
        self._store.end_write(self._project_id, self._entries)


@dataclass(frozen=True)
class BudgetTicket(BudgetSnapshot):
    """What :meth:`RateBudget.take` returns: the budget after the request was counted.

    ``taken_at`` is the time the request was logged at; :meth:`RateBudget.refund` uses it
    to give the request back.
    """

    taken_at: float = field(kw_only=True)


class RateBudget:
    """How many requests each project may still send in the current window.

    Every accepted request is logged with its time; a request is allowed when fewer than
    ``limit`` logged requests are younger than ``window`` seconds. Unlike fixed buckets,
    a sliding log never lets ``2 * limit`` requests through around a bucket edge.
    Both environments of a project share one budget (the key is the project id).

    The logs live in a :class:`BudgetStore`: by default this process's memory; over a
    workspace, a file every process on it shares (``Workspace.budget``), so the count is
    the project's, not the process's. Every method is thread-safe. :meth:`peek` spends
    nothing and writes nothing, so a window may call it from a worker thread as often as
    it repaints. The clock is injectable so that tests move time without sleeping.
    """

    def __init__(
        self,
        limit: int = DEFAULT_LIMIT,
        window: float = DEFAULT_WINDOW,
        *,
        clock: Callable[[], float] = time.time,
        store: BudgetStore | None = None,
    ) -> None:
        """Create a budget of ``limit`` requests per ``window`` seconds per project.

        Args:
            limit: requests allowed per window; must be positive.
            window: the window length in seconds; must be positive.
            clock: returns the current wall-clock time in seconds (``time.time``); a
                shared store needs the wall clock, the one clock all processes agree on.
            store: where the logs live (this process's memory by default).
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        if window <= 0:
            raise ValueError(f"window must be positive, not {window}")
        self.limit = limit
        self.window = float(window)
        self.store: BudgetStore = store if store is not None else MemoryStore()
        self._clock = clock

    @property
    def size(self) -> int:
        """How many projects the store holds requests for (idle ones are forgotten)."""
        return len(self.store)

    def close(self) -> None:
        """Release the store (a shared budget's file)."""
        self.store.close()

    def _writing(self, project_id: str) -> AbstractContextManager[ProjectLog]:
        return self.store.writing(project_id, idle_before=self._clock() - self.window)

    def take(self, project_id: str) -> BudgetTicket:
        """Spend one request of the project's budget.

        Returns:
            The budget after this request was counted, with the time it was logged at.

        Raises:
            ProxyError: 429 ``rate_limited`` when the window is full; ``retry_after`` is
                the whole number of seconds (at least 1) until the oldest request leaves it.
                A refused request spends nothing.
        """
        with self._writing(project_id) as entries:
            # Read inside the lock: another process may have waited for it as long.
            now = self._clock()
            _expire(entries, now - self.window)
            if len(entries) >= self.limit:
                raise self._refusal(entries[0] + self.window - now)
            # Never log a time older than the newest entry (a clock stepped back): the
            # log stays ordered, so its first entry is always the one to leave first.
            at = max(now, entries[-1]) if entries else now
            entries.append(at)
            return BudgetTicket(
                limit=self.limit,
                remaining=self.limit - len(entries),
                window_seconds=self.window,
                resets_at=entries[0] + self.window,
                taken_at=at,
            )

    def peek(self, project_id: str) -> BudgetSnapshot:
        """The project's budget now, without spending or changing anything."""
        with self.store.reading(project_id) as entries:
            now = self._clock()
            expired = _expired_count(entries, now - self.window)
            live = len(entries) - expired
            return BudgetSnapshot(
                limit=self.limit,
                remaining=max(0, self.limit - live),
                window_seconds=self.window,
                resets_at=entries[expired] + self.window if live else None,
            )

    def refund(self, project_id: str, ticket: BudgetTicket) -> BudgetSnapshot:
        """Give back a request that was counted but never sent (refused before any byte).

        Returns:
            The budget after the refund (unchanged when the request already left the window).
        """
        with (
            self._writing(project_id) as entries,
            suppress(ValueError),  # it has left the window already: nothing to give back
        ):
            entries.remove(ticket.taken_at)
        return self.peek(project_id)

    def _refusal(self, wait: float) -> ProxyError:
        # wait > 0, but rounding can make it 0.0 (t0 + window - now near a power of two).
        retry_after = max(1, math.ceil(wait))
        return ProxyError(
            429,
            "rate_limited",
            f"Rate limit reached: {self.limit} requests per {self.window:g} seconds "
            f"for this project; retry in {retry_after} s",
            retry_after=retry_after,
        )


def _expire(entries: ProjectLog, horizon: float) -> None:
    """Drop the entries at or before ``horizon``: they have left the window."""
    while entries and entries[0] <= horizon:
        entries.popleft()


def _expired_count(entries: ProjectLog, horizon: float) -> int:
    """How many entries are at or before ``horizon`` (a binary search: the log is ordered)."""
    low, high = 0, len(entries)
    while low < high:
        middle = (low + high) // 2
        if entries[middle] <= horizon:
            low = middle + 1
        else:
            high = middle
    return low
