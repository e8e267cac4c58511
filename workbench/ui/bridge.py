"""The UI thread's bridge to the worker: await the session's work without ever blocking.

This is the window's one funnel for long-running work. A slot awaits :meth:`Bridge.call`
or :meth:`Bridge.run`; the work runs in the worker thread, and the awaiting coroutine
resumes on the UI loop with the result or the exception. Cancelling the awaiting task
cancels the work.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from workbench.ui.backend import Session, SessionTarget, Worker

T = TypeVar("T")


class NoSession(RuntimeError):
    """Work was asked for before a workspace (or the demo) was open."""


class Bridge:
    """Runs the session's methods in the worker thread for the UI.

    Attributes:
        worker: the worker thread.
        session: the open session, or None before :meth:`open` succeeded.
    """

    def __init__(self, worker: Worker) -> None:
        """Bridge to ``worker`` (already started)."""
        self.worker = worker
        self.session: Session | None = None

    async def open(self, target: SessionTarget) -> Session:
        """Open ``target``; on success it replaces (and closes) the current session."""
        session = await asyncio.wrap_future(self.worker.submit(Session.open(target)))
        previous, self.session = self.session, session
        if previous is not None:
            await asyncio.wrap_future(self.worker.submit(previous.aclose()))
        return session

    def _session(self) -> Session:
        if self.session is None:
            raise NoSession("No workspace is open yet")
        return self.session

    async def call(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``method(session, *args, **kwargs)`` in the worker thread (a plain method of Session)."""
        session = self._session()
        return await asyncio.wrap_future(self.worker.call(lambda: method(session, *args, **kwargs)))

    async def run(
        self, method: Callable[..., Coroutine[Any, Any, T]], *args: Any, **kwargs: Any
    ) -> T:
        """``await method(session, *args, **kwargs)`` on the worker loop (a coroutine method)."""
        coroutine = method(self._session(), *args, **kwargs)
        return await asyncio.wrap_future(self.worker.submit(coroutine))

    async def run_function(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in the worker thread, for work that needs no session."""
        return await asyncio.wrap_future(self.worker.call(function, *args))

    def close(self, timeout: float = 5.0) -> None:
        """Close the session and stop the worker, waiting at most ``timeout`` seconds.

        Called once, as the application quits.
        """
        session, self.session = self.session, None
        if session is not None:
            with contextlib.suppress(Exception):
                self.worker.submit(session.aclose()).result(timeout)
        self.worker.stop(timeout)


class Tasks:
    """Work started from a plain (not async) slot: kept alive until done, failures reported.

    asyncio keeps only a weak reference to a task, so a task nobody holds can vanish
    half-way; this holds each one until it ends and hands any exception to ``on_error``.
    """

    def __init__(self, on_error: Callable[[BaseException], object]) -> None:
        """Report failures to ``on_error``."""
        self._running: set[asyncio.Task[Any]] = set()
        self._on_error = on_error

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coroutine`` on the UI loop."""
        task = asyncio.ensure_future(coroutine)
        self._running.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._on_error(task.exception())  # type: ignore[arg-type]
