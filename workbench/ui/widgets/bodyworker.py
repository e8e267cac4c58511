"""One worker thread for the body view's heavy work; the newest job on a channel wins.

A job runs ``work(progress)`` on the worker and its result comes back to the UI thread
through a queued signal. Jobs are grouped in channels (``body``, ``find``, ``save``...):
submitting a job, or calling :meth:`BodyWorker.supersede`, moves the channel's generation
on, and a job of an older generation is *stale*: its next ``progress`` call raises
:class:`Superseded` so it stops early, and a result it still delivers is dropped.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal

from workbench.ui.textwork import Progress


class Superseded(Exception):
    """Raised inside a stale job, from its progress callback, to stop it."""


class _Failure:
    """A job's unexpected exception, carried back to the UI thread."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


_STALE = object()


class _Jobs:
    """What the worker thread may read: the generations and whether the worker closed.

    A plain object rather than the QObject, so a job never touches a Qt object that the
    UI thread may be deleting; reads and writes of single dict items are atomic under
    the GIL.
    """

    def __init__(self) -> None:
        self.generations: dict[str, int] = {}
        self.closed = False
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="body-worker")

    def is_current(self, channel: str, generation: int) -> bool:
        return not self.closed and self.generations.get(channel) == generation

    def close(self, *_args: object) -> None:
        self.closed = True
        self.executor.shutdown(wait=False, cancel_futures=True)


class BodyWorker(QObject):
    """Runs a body view's jobs on one thread (a ``ThreadPoolExecutor(max_workers=1)``).

    Signals:
        progressed(str, int): a job on this channel is this many percent done.
        failed(str, str): a job on this channel raised; one sentence saying what.
        job_finished(int, object): internal, queued from the worker: a job id and its
            result.
    """

    progressed = Signal(str, int)
    failed = Signal(str, str)
    job_finished = Signal(int, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs = _Jobs()
        self._pending: dict[int, tuple[str, int, Callable[[Any], None]]] = {}
        self._ids = itertools.count(1)
        self.job_finished.connect(self.on_job_finished)
        # A view deleted without being closed still stops its worker.
        self.destroyed.connect(self._jobs.close)

    def generation(self, channel: str) -> int:
        """The channel's current generation (it grows with every job and supersede)."""
        return self._jobs.generations.get(channel, 0)

    def pending(self) -> int:
        """How many submitted jobs have not come back yet."""
        return len(self._pending)

    def supersede(self, *channels: str) -> None:
        """Make every job on ``channels`` (all channels when none given) stale."""
        generations = self._jobs.generations
        for channel in channels or tuple(generations):
            generations[channel] = generations.get(channel, 0) + 1

    def submit(
        self,
        channel: str,
        work: Callable[[Progress], Any],
        done: Callable[[Any], None],
    ) -> int:
        """Run ``work(progress)`` on the worker; ``done(result)`` follows on the UI thread.

        The job supersedes older jobs on ``channel``. ``done`` is not called when the job
        went stale or raised (then ``failed`` is emitted instead).

        Returns:
            The job's id (0 when the worker was shut down: the job never runs).
        """
        if self._jobs.closed:
            return 0
        self.supersede(channel)
        generation = self.generation(channel)
        job = next(self._ids)
        self._pending[job] = (channel, generation, done)
        self._jobs.executor.submit(
            _run, self._jobs, self.job_finished, self.progressed, channel, generation, job, work
        )
        return job

    def on_job_finished(self, job: int, result: object) -> None:
        """Hand a job's result to its ``done`` callback unless the job went stale."""
        channel, generation, done = self._pending.pop(job)
        if result is _STALE or not self._jobs.is_current(channel, generation):
            return
        if isinstance(result, _Failure):
            self.failed.emit(channel, f"{type(result.error).__name__}: {result.error}")
            return
        done(result)

    def shutdown(self) -> None:
        """Stop: running jobs stop at their next progress call, queued ones never start."""
        self._jobs.close()


def _run(
    jobs: _Jobs,
    finished: Any,
    progressed: Any,
    channel: str,
    generation: int,
    job: int,
    work: Callable[[Progress], Any],
) -> None:
    """The worker side of a job (``finished`` and ``progressed`` are bound signals)."""
    last = -1

    def progress(done: int, total: int) -> None:
        nonlocal last
        if not jobs.is_current(channel, generation):
            raise Superseded
        percent = done * 100 // total if total else 100
        if percent != last:
            last = percent
            _emit(jobs, progressed, channel, percent)

    result: object
    if not jobs.is_current(channel, generation):
        result = _STALE
    else:
        try:
            with _short_switch_interval():
                result = work(progress)
        except Superseded:
            result = _STALE
        except Exception as error:
            result = _Failure(error)
    _emit(jobs, finished, job, result)


# While a job runs, the interpreter hands the GIL over every millisecond instead of every
# five: each time the UI thread enters Python (a timer, a slot, a paint) it waits for the
# worker's turn to end, and an event-loop pass may enter Python several times. Jobs of all
# views share the setting; the last one to finish puts the old value back.
_SWITCH_INTERVAL = 0.001
_switching = threading.Lock()
_running = 0
_saved_interval = 0.0


@contextlib.contextmanager
def _short_switch_interval() -> Iterator[None]:
    global _running, _saved_interval
    with _switching:
        if not _running:
            _saved_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(_saved_interval, _SWITCH_INTERVAL))
        _running += 1
    try:
        yield
    finally:
        with _switching:
            _running -= 1
            if not _running:
                sys.setswitchinterval(_saved_interval)


def _emit(jobs: _Jobs, signal: Any, *args: object) -> None:
    if jobs.closed:
        return
    with contextlib.suppress(RuntimeError):  # the view was deleted while this job ran
        signal.emit(*args)
