"""One SQLite connection set up the way the workspace needs it, shared safely by threads.

WAL journaling, foreign keys, a busy timeout, the schema migrated on open, and write
transactions that take the write lock up front.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import Any

from workbench.core.store.faults import checkpoint
from workbench.core.store.migrations import WorkspaceError, migrate

LOW_SPACE_BYTES = 1 << 20


def _space_note(file: Path) -> str:
    """``" (only 12 KiB free on that disk)"`` when the disk is (nearly) full, else ""."""
    try:
        free = shutil.disk_usage(file.parent).free
    except OSError:
        return ""
    return f" (only {free // 1024} KiB free on that disk)" if free < LOW_SPACE_BYTES else ""


class Database:
    """An open, migrated SQLite file; every call is serialised by one lock.

    One connection is shared by the threads of a process (GUI, REST server, CLI) and the
    lock keeps their statements and transactions from interleaving.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        """Wrap a configured connection; use :meth:`open` instead."""
        self._conn = conn
        self._path = path
        self._lock = threading.RLock()
        self._commits = 0

    @classmethod
    def open(cls, path: str | PathLike[str], *, busy_timeout: float = 5.0) -> Database:
        """Open (creating or upgrading) the SQLite file at ``path``.

        Args:
            path: the file; missing parent directories are created.
            busy_timeout: seconds to wait for another process's write lock.

        Raises:
            WorkspaceError: the file cannot be created, is not a workspace, or is newer
                than this program.
        """
        file = Path(path).expanduser()
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(file, timeout=busy_timeout, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise WorkspaceError(f"cannot open workspace {file}: {exc}") from exc
        try:
            conn.row_factory = sqlite3.Row
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise WorkspaceError(f"cannot use WAL journaling for workspace {file} ({mode})")
            conn.execute("PRAGMA foreign_keys = ON")
            # FULL: a committed transaction survives power loss too, not only a crash;
            # workspace writes are rare and small, so the extra fsync costs nothing visible.
            conn.execute("PRAGMA synchronous = FULL")
            migrate(conn, name=f"workspace {file}")
        except sqlite3.OperationalError as exc:  # locked, I/O, disk full: not the file's fault
            conn.close()
            raise WorkspaceError(f"cannot open workspace {file}: {exc}{_space_note(file)}") from exc
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise WorkspaceError(f"{file} is not a workbench workspace: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        return cls(conn, file)

    @property
    def path(self) -> Path:
        """The SQLite file."""
        return self._path

    def close(self) -> None:
        """Close the connection; later calls fail."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed on success, rolled back on any error.

        ``BEGIN IMMEDIATE`` takes the write lock up front: a deferred transaction that
        reads first and writes later can fail at once with "database is locked" when
        another process writes in between, without waiting for ``busy_timeout``.
        """
        with self._lock, self._operational_errors():
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                checkpoint("workspace.commit")
            except BaseException:
                self._conn.rollback()
                raise
            self._conn.commit()
            self._commits += 1

    def read(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Run one query outside any write transaction and return every row."""
        with self._lock, self._operational_errors():
            return self._conn.execute(sql, params).fetchall()

    def version(self) -> tuple[int, int]:
        """A value that changes whenever anyone commits, in this process or another.

        SQLite's ``data_version`` moves on commits by OTHER connections (another process's
        CLI, say); this connection's own commits are counted here. A cache keyed on the
        version is never stale, for one pragma per look-up (cheaper than a query).
        """
        with self._lock:
            try:
                (data_version,) = self._conn.execute("PRAGMA data_version").fetchone()
            except sqlite3.Error as exc:
                raise WorkspaceError(f"workspace {self._path}: {exc}") from exc
            return self._commits, data_version

    @contextmanager
    def _operational_errors(self) -> Iterator[None]:
        """Turn environment failures (locked, disk full, I/O) into a WorkspaceError.

        Constraint violations pass through unchanged: only the caller knows what a
        duplicate means ("project already exists"...).
        """
        try:
            yield
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as exc:
            raise WorkspaceError(f"workspace {self._path}: {exc}{_space_note(self._path)}") from exc
