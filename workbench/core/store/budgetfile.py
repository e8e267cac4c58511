"""The rate budget every process on a workspace shares: a lock-protected file beside it.

Layout (little-endian): a 64-byte header (magic, version, limit, window), then one slot
per project with requests in the window. A slot is a 64-byte head (the SHA-256 of the
project id, the ring's start and length, copies of its oldest and newest time) and a
ring of ``limit`` request times (float64).
A slot whose requests have all left the window is reused by the next new project, so
the file holds as many slots as projects were busy at once.

Why a file and not a table in the workspace: a request costs one ``flock`` and a few
``pread``/``pwrite`` calls (a few µs), where an SQLite write transaction costs 10 to
25 µs and, worse, moves the workspace's ``data_version`` on every request, which empties
every process's account cache. The kernel drops a dead process's ``flock``, so a process
killed at any point blocks nobody. Each change is ordered so that a process killed
between two writes leaves a consistent file: a time is written before the head that
counts it, a head that drops entries is written before their places are reused, and
the ring's first and last places change only with the head that copies them.
The page cache keeps every write once the call returns, so a crashed process loses
nothing; only a power loss can (the file holds five minutes of counting, never a secret).
"""

from __future__ import annotations

import bisect
import fcntl
import hashlib
import os
import struct
import threading
import time
from collections.abc import Callable
from os import PathLike
from pathlib import Path

from workbench.core.ratelimit import DEFAULT_LIMIT, DEFAULT_WINDOW, ProjectLog, RateBudget
from workbench.core.store.migrations import WorkspaceError

MAGIC = b"WBBUDGET"
VERSION = 1
MAX_LIMIT = 1_000_000  # 8 MB a slot: far above any real budget
TEST_BUDGET_ENV = "WORKBENCH_TEST_RATE_BUDGET"  # "LIMIT/WINDOW"; tests only

_HEADER = struct.Struct("<8sIId")  # magic, version, limit, window
_HEADER_SIZE = 64
_SLOT = struct.Struct("<32sIIdd")  # project key, ring start and length, oldest and newest
_SLOT_SIZE = 64
_ENTRY = struct.Struct("<d")
_FREE = bytes(32)


class BudgetFileError(WorkspaceError):
    """The budget file cannot be opened, is not one, or was made for another budget."""


def budget_path(workspace_path: str | PathLike[str]) -> Path:
    """The budget file of a workspace: beside the real file, whatever link named it."""
    return Path(os.path.realpath(workspace_path)).with_suffix(".budget")


def budget_settings(environ: dict[str, str] | None = None) -> tuple[int, float]:
    """The limit and window of workspace budgets: 1,000 per 300 s.

    ``WORKBENCH_TEST_RATE_BUDGET=LIMIT/WINDOW`` changes them, for tests that run real
    processes and cannot wait five minutes. Every process on a workspace must agree.

    Raises:
        BudgetFileError: the variable is set but malformed.
    """
    value = (os.environ if environ is None else environ).get(TEST_BUDGET_ENV)
    if not value:
        return DEFAULT_LIMIT, DEFAULT_WINDOW
    limit, _, window = value.partition("/")
    try:
        return int(limit), float(window)
    except ValueError:
        raise BudgetFileError(
            f"{TEST_BUDGET_ENV} must be LIMIT/WINDOW such as 5/300, not {value!r}"
        ) from None


def open_shared_budget(
    workspace_path: str | PathLike[str],
    *,
    limit: int = DEFAULT_LIMIT,
    window: float = DEFAULT_WINDOW,
    clock: Callable[[], float] = time.time,
) -> RateBudget:
    """A :class:`RateBudget` counting in the workspace's budget file.

    Raises:
        BudgetFileError: the file cannot be opened or was made for another budget.
    """
    store = BudgetFile(budget_path(workspace_path), limit=limit, window=window)
    return RateBudget(limit, window, clock=clock, store=store)


class BudgetFile:
    """The logs of every project, in one file shared by every process (a ``BudgetStore``).

    Threads of a process share one open file; a lock serialises them, and ``flock``
    serialises processes (readers share it). Not for use across ``fork``.
    """

    def __init__(self, path: str | PathLike[str], *, limit: int, window: float) -> None:
        """Open (creating) the file at ``path`` for a budget of ``limit`` per ``window`` s.

        Raises:
            ValueError: ``limit`` is not 1 to ``MAX_LIMIT`` or ``window`` not positive.
            BudgetFileError: the file cannot be opened, is not a budget file, or was made
                for another limit or window.
        """
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be 1 to {MAX_LIMIT}, not {limit}")
        if window <= 0:
            raise ValueError(f"window must be positive, not {window}")
        self.path = Path(path)
        self.limit = limit
        self.window = float(window)
        self._stride = _SLOT_SIZE + _ENTRY.size * limit
        self._lock = threading.Lock()
        self._slots: dict[bytes, int] = {}  # where each project was last seen
        self._keys: dict[str, bytes] = {}  # project id -> its key in the file
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise BudgetFileError(f"cannot open the rate budget file {self.path}: {exc}") from None
        try:
            self.acquire(exclusive=True)
        except BaseException:
            os.close(self.fd)
            raise
        try:
            self._check_header()
        except BaseException:
            self._lock.release()
            os.close(self.fd)  # which drops the flock too
            raise
        self.release()

    def close(self) -> None:
        """Close the file; later calls fail."""
        with self._lock:
            if self.fd >= 0:
                os.close(self.fd)
                self.fd = -1

    def __len__(self) -> int:
        """How many projects have a slot (requests logged, perhaps left the window since)."""
        self.acquire(exclusive=False)
        try:
            return sum(1 for n in range(self._slot_count()) if self.slot_head(n)[0] != _FREE)
        finally:
            self.release()

    @property
    def slots(self) -> int:
        """How many slots the file has room for (it grows only when all are busy)."""
        self.acquire(exclusive=False)
        try:
            return self._slot_count()
        finally:
            self.release()

    def reading(self, project_id: str) -> _Transaction:
        """The project's log to read, under a lock other readers share (see ``BudgetStore``)."""
        return _Transaction(self, self._key(project_id), None)

    def writing(self, project_id: str, *, idle_before: float) -> _Transaction:
        """The project's log, locked in this process and in every other one.

        See ``BudgetStore.writing``: a new project takes the first slot whose requests are
        all at or before ``idle_before``, or a new slot at the end of the file.
        """
        return _Transaction(self, self._key(project_id), idle_before)

    def _key(self, project_id: str) -> bytes:
        key = self._keys.get(project_id)
        if key is None:
            if len(self._keys) >= 1024:  # ids from callers: never let them grow it forever
                self._keys.clear()
            key = self._keys[project_id] = hashlib.sha256(
                project_id.encode("utf-8", "surrogatepass")
            ).digest()
        return key

    def acquire(self, *, exclusive: bool) -> None:
        """Take the thread lock, then ``flock`` (shared unless ``exclusive``)."""
        self._lock.acquire()
        try:
            if self.fd < 0:
                raise BudgetFileError(f"the rate budget file {self.path} is closed")
            fcntl.flock(self.fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        except OSError as exc:
            self._lock.release()
            raise BudgetFileError(f"cannot lock the rate budget file {self.path}: {exc}") from None
        except BaseException:
            self._lock.release()
            raise

    def release(self) -> None:
        """Undo :meth:`acquire`."""
        try:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            self._lock.release()

    # Below: called with both locks held.

    def read(self, offset: int, size: int) -> bytes:
        """``size`` bytes at ``offset``; bytes past the end read as zeros."""
        try:
            return os.pread(self.fd, size, offset).ljust(size, b"\0")
        except OSError as exc:
            raise BudgetFileError(f"cannot read the rate budget file {self.path}: {exc}") from None

    def write(self, offset: int, data: bytes) -> None:
        """Write ``data`` at ``offset``."""
        try:
            os.pwrite(self.fd, data, offset)
        except OSError as exc:
            raise BudgetFileError(f"cannot write the rate budget file {self.path}: {exc}") from None

    def _check_header(self) -> None:
        magic, version, limit, window = _HEADER.unpack(self.read(0, _HEADER.size))
        if magic == bytes(8) and os.fstat(self.fd).st_size <= _HEADER_SIZE:
            # A new file (or one whose creator died before its first write).
            header = _HEADER.pack(MAGIC, VERSION, self.limit, self.window)
            self.write(0, header.ljust(_HEADER_SIZE, b"\0"))
            return
        if magic != MAGIC:
            raise BudgetFileError(f"{self.path} is not a workbench rate budget file")
        if version != VERSION:
            raise BudgetFileError(
                f"the rate budget file {self.path} has version {version}; this workbench "
                f"reads version {VERSION} (delete the file to start counting afresh)"
            )
        if (limit, window) != (self.limit, self.window):
            raise BudgetFileError(
                f"the rate budget file {self.path} counts {limit} requests per {window:g} s, "
                f"but this process counts {self.limit} per {self.window:g} s: every process "
                f"on a workspace must use the same budget (check {TEST_BUDGET_ENV})"
            )

    def _slot_count(self) -> int:
        return (os.fstat(self.fd).st_size - _HEADER_SIZE) // self._stride

    def slot_offset(self, slot: int) -> int:
        """Where slot number ``slot`` starts in the file."""
        return _HEADER_SIZE + slot * self._stride

    def slot_head(self, slot: int) -> Head:
        """A slot's head; a damaged one (a power loss) reads as empty."""
        key, head, count, oldest, newest = _SLOT.unpack(
            self.read(self.slot_offset(slot), _SLOT.size)
        )
        if head >= self.limit or count > self.limit:
            return key, 0, 0, 0.0, 0.0
        return key, head, count, oldest, newest

    def write_slot_head(self, slot: int, head: Head) -> None:
        """Write a slot's head: one ``pwrite``, so a killed process leaves old or new."""
        self.write(self.slot_offset(slot), _SLOT.pack(*head))

    def find(self, key: bytes) -> tuple[int, Head] | None:
        """The project's slot and its head, or None when it has no slot."""
        cached = self._slots.get(key)
        if cached is not None:
            head = self.slot_head(cached)  # past the end reads as free
            if head[0] == key:
                return cached, head
            del self._slots[key]  # the slot was freed, then taken by another project
        for slot in range(self._slot_count()):
            head = self.slot_head(slot)
            if head[0] == key:
                self._slots[key] = slot
                return slot, head
        return None

    def allocate(self, key: bytes, idle_before: float) -> int:
        """A slot for a new project: the first free one, else a new one at the end.

        Slots whose requests are all at or before ``idle_before`` are freed on the way,
        so the file holds only the projects busy in the last window.
        """
        count = self._slot_count()
        slot = count
        for n in range(count):
            if self._free_if_idle(n, idle_before):
                slot = min(slot, n)
        if slot == count:
            try:
                os.ftruncate(self.fd, self.slot_offset(count + 1))
            except OSError as exc:
                raise BudgetFileError(
                    f"cannot grow the rate budget file {self.path}: {exc}"
                ) from None
        self.write_slot_head(slot, (key, 0, 0, 0.0, 0.0))
        self._slots[key] = slot
        return slot

    def _free_if_idle(self, slot: int, idle_before: float) -> bool:
        """Free the slot if nothing in it is in the window; True when it is free."""
        key, _, count, _, newest = self.slot_head(slot)
        if key == _FREE:
            return True
        if count and newest > idle_before:
            return False
        self.write_slot_head(slot, _FREE_HEAD)
        return True


Head = tuple[bytes, int, int, float, float]  # key, ring start, ring length, oldest, newest
_FREE_HEAD: Head = (_FREE, 0, 0, 0.0, 0.0)


class _Transaction:
    """One ``with`` block over a project's slot with both locks held.

    A class rather than a generator-based context manager: it runs on every request,
    and this way it costs a third as much.
    """

    __slots__ = ("_file", "_idle_before", "_key", "_log")

    def __init__(self, file: BudgetFile, key: bytes, idle_before: float | None) -> None:
        self._file = file
        self._key = key
        self._idle_before = idle_before  # None: read only
        self._log: _SlotLog | None = None

    def __enter__(self) -> ProjectLog:
        file, key, idle_before = self._file, self._key, self._idle_before
        file.acquire(exclusive=idle_before is not None)
        try:
            found = file.find(key)
            if idle_before is None:
                return _EMPTY if found is None else _SlotLog(file, *found, fresh=False)
            if found is None:
                slot = file.allocate(key, idle_before)
                self._log = _SlotLog(file, slot, (key, 0, 0, 0.0, 0.0), fresh=True)
            else:
                self._log = _SlotLog(file, *found, fresh=False)
            return self._log
        except BaseException:
            file.release()
            raise

    def __exit__(self, *exc_info: object) -> None:
        try:
            if self._log is not None:
                self._log.commit()
        finally:
            self._file.release()


class _SlotLog:
    """One project's log inside the file: a ring of request times (a ``ProjectLog``).

    Reads go to the file, cached for the transaction (the head's copies of the oldest
    and newest times spare two); an append writes its time at once; the head is written
    by :meth:`commit`, and before an append reuses a place that dropped entries held.
    """

    def __init__(self, file: BudgetFile, slot: int, head: Head, *, fresh: bool) -> None:
        self._file = file
        self._slot = slot
        self._key, self._head, self._count, oldest, newest = head
        self._ring = file.slot_offset(slot) + _SLOT_SIZE
        self._capacity = file.limit
        self._cache: dict[int, float] = {}
        if self._count:
            self._cache[self._head] = oldest
            self._cache[(self._head + self._count - 1) % self._capacity] = newest
        self._dirty = fresh  # a slot taken but left empty is given back at commit

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: int) -> float:
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("rate budget log index out of range")
        position = (self._head + index) % self._capacity
        value = self._cache.get(position)
        if value is None:
            offset = self._ring + position * _ENTRY.size
            (value,) = _ENTRY.unpack(self._file.read(offset, _ENTRY.size))
            self._cache[position] = value
        return value

    def _put(self, index: int, at: float) -> None:
        position = (self._head + index) % self._capacity
        self._file.write(self._ring + position * _ENTRY.size, _ENTRY.pack(at))
        self._cache[position] = at

    def popleft(self) -> float:
        value = self[0]
        self._head = (self._head + 1) % self._capacity
        self._count -= 1
        self._dirty = True
        return value

    def append(self, at: float, /) -> None:
        if self._count >= self._capacity:
            raise OverflowError(f"the rate budget log holds at most {self._capacity} requests")
        if self._dirty:
            self.commit()  # the place written next may be one that was just dropped
        self._put(self._count, at)
        self._count += 1
        self._dirty = True

    def remove(self, at: float, /) -> None:
        index = bisect.bisect_left(self, at)
        if index == self._count or self[index] != at:
            raise ValueError(f"no request logged at {at}")
        if index == 0:
            self.popleft()
            return
        # Newer entries move down one place (the refunded one is usually the newest); the
        # first and last places keep their times until the head is written.
        for later in range(index, self._count - 1):
            self._put(later, self[later + 1])
        self._count -= 1
        self._dirty = True

    def commit(self) -> None:
        """Write the head if anything changed; an empty log frees its slot."""
        if not self._dirty:
            return
        if self._count:
            head = (self._key, self._head, self._count, self[0], self[-1])
            self._file.write_slot_head(self._slot, head)
        else:
            self._file.write_slot_head(self._slot, _FREE_HEAD)
        self._dirty = False


class _Empty:
    """The log of a project the file does not hold (read-only)."""

    def __len__(self) -> int:
        return 0

    def __getitem__(self, index: int) -> float:
        raise IndexError("rate budget log index out of range")

    def popleft(self) -> float:
        raise IndexError("pop from an empty rate budget log")

    def append(self, at: float, /) -> None:
        raise TypeError("a read-only rate budget log cannot change")

    def remove(self, at: float, /) -> None:
        raise ValueError(f"no request logged at {at}")


_EMPTY = _Empty()
