"""An exclusive lock held across threads and processes: a thread lock plus a lock file.

Used where a read-modify-write must not interleave with another process's: the secrets
file (re-read, change, atomic replace) and the pairing of vault and workspace writes.
The operating system drops the file lock when its holder dies, even by SIGKILL, so a
crash never leaves the lock held.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
import time
from collections.abc import AsyncIterator
from os import PathLike
from pathlib import Path
from types import TracebackType

DEFAULT_TIMEOUT = 30.0  # seconds; every holder keeps the lock for a few file writes at most
_POLL = 0.01


class StoreBusy(TimeoutError):
    """Another process held a lock for longer than the wait allowed."""


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class FileLock:
    """A re-entrant exclusive lock on ``path`` (created 0600 when missing, never removed).

    Threads of one process queue on a thread lock; the first entry of the holding thread
    also takes the file lock, which other processes wait for.

    Args:
        path: the lock file.
        timeout: seconds to wait before giving up with :class:`StoreBusy`.
    """

    def __init__(self, path: str | PathLike[str], *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd = -1

    def __enter__(self) -> FileLock:
        deadline = time.monotonic() + self.timeout
        if not self._thread_lock.acquire(timeout=self.timeout):
            raise self._busy()
        try:
            if self._depth == 0:
                self._fd = self._lock_file(deadline)
            self._depth += 1
        except BaseException:
            self._thread_lock.release()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth == 0:
            fd, self._fd = self._fd, -1
            try:
                _unlock(fd)
            finally:
                os.close(fd)
        self._thread_lock.release()

    def _lock_file(self, deadline: float) -> int:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while not _try_lock(fd):
                if time.monotonic() >= deadline:
                    raise self._busy()
                time.sleep(_POLL)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _busy(self) -> StoreBusy:
        return StoreBusy(
            f"another workbench process has held {self.path} for over {self.timeout:g} s; "
            "try again when it has finished"
        )


def lock_path(path: str | PathLike[str]) -> Path:
    """The lock file that guards ``path``: the same name with ``.lock`` appended."""
    file = Path(path)
    return file.with_name(file.name + ".lock")


@contextlib.asynccontextmanager
async def held(
    path: str | PathLike[str], *, patience: float = DEFAULT_TIMEOUT, poll: float = 0.02
) -> AsyncIterator[None]:
    """Hold an exclusive lock on ``path`` without blocking the event loop while waiting.

    For a lock kept across network I/O (an OAuth token refresh): every entry opens the
    file anew, so it excludes other processes, other threads and other tasks alike.

    Raises:
        StoreBusy: another holder kept it for more than ``patience`` seconds.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + patience
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise StoreBusy(
                    f"another workbench process has held {path} for over {patience:g} s; "
                    "try again when it has finished"
                )
            await asyncio.sleep(poll)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)
